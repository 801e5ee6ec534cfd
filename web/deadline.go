package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// DefaultBodyTimeout is how long a request body may take to arrive: a
// client that stalls is cut off then, so that idle connections cannot
// hold the server's file descriptors.
const DefaultBodyTimeout = 30 * time.Second

// bodyDeadline sets a read deadline of Options.BodyTimeout on the
// connection of every request that has a body, through
// http.ResponseController, and lifts it once the whole body has been read:
// only the body is timed, not a long-polled answer. A body the handler
// leaves unread keeps the deadline, so that the server's discarding of the
// rest cannot stall either; the next request on the connection gets the
// server's own deadlines.
// The websocket route is left alone, since its connection outlives the
// request and gorilla/websocket keeps its own deadlines.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || r.URL.Path == "/ws" {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout)); err != nil {
			next.ServeHTTP(w, r) // not a network connection (a test recorder)
			return
		}
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, hdr: w.Header(), limit: s.opts.BodyTimeout}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline at the end of the body and turns a
// deadline error into errBodyStalled, marking the response
// "Connection: close".
type deadlineBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	hdr   http.Header
	limit time.Duration
	done  bool
}

// errBodyStalled is what reading a body that did not arrive in time gives.
type errBodyStalled struct{ limit time.Duration }

func (e errBodyStalled) Error() string {
	return fmt.Sprintf("the request body did not arrive within %v: the connection is closed", e.limit)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.hdr.Set("Connection", "close")
		return n, errBodyStalled{b.limit}
	}
	if err == io.EOF && !b.done {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

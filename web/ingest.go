package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/external"
)

// Ingester takes the reports of a training process running outside OHEM
// Lab (POST /api/ingest); *external.Source implements it. Errors with an
// HTTPStatus method get that status, others 400.
type Ingester interface {
	Ingest(ctx context.Context, body []byte) (*external.Reply, error)
}

// serveIngest serves POST /api/ingest: one request of batch and eval
// records from an external trainer, answered with the control state of
// every arm. Browsers of other sites may not feed it (the request guard),
// and it needs control.
func (s *Server) serveIngest(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ingest == nil {
		writeError(w, http.StatusNotFound, "this server trains its own model: start it with `ohemlab serve --source external` to feed it from your training script")
		return
	}
	// Cross-site requests never get here: the request guard (guard.go)
	// refuses them. A wrong token answers like a missing one.
	if s.Role(r) != RoleControl {
		writeError(w, http.StatusForbidden, "feeding training needs the control token: send it as \"Authorization: Bearer TOKEN\" (ohemlab.Client(url, token=...))")
		return
	}
	b, err := readBody(http.MaxBytesReader(w, r.Body, external.MaxBodyBytes), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request too large: the limit is %d bytes; send fewer records per request", external.MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return
	}
	rep, err := s.opts.Ingest.Ingest(r.Context(), b)
	if err != nil {
		status := http.StatusBadRequest
		var hs interface{ HTTPStatus() int }
		if errors.As(err, &hs) {
			status = hs.HTTPStatus()
		}
		writeError(w, status, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// readBody reads a request body of n bytes (n < 0: unknown) into one
// buffer of that size: the client's requests are hundreds of kilobytes,
// which io.ReadAll would read growing and copying its buffer many times.
func readBody(r io.Reader, n int64) ([]byte, error) {
	if n < 0 || n > external.MaxBodyBytes {
		return io.ReadAll(r)
	}
	var buf bytes.Buffer
	buf.Grow(int(n) + bytes.MinRead) // room for the EOF read: no copy
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// PublishAll queues several trainer events at once (trainer.BatchSink):
// the events of one ingest request reach viewers together, so a batch frame
// shows the request's newest batch of an arm (the one an external client
// sends images with).
func (s *Server) PublishAll(evs []trainer.Event) { s.hub.publishAll(evs) }

// *external.Source is the Trainer and Ingester of serve --source external.
var (
	_ Trainer           = (*external.Source)(nil)
	_ Ingester          = (*external.Source)(nil)
	_ trainer.BatchSink = (*Server)(nil)
)

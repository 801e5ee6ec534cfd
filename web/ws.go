package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
)

// helloBody is the payload of the hello frame.
type helloBody struct {
	State      trainer.State `json:"state"`
	Role       string        `json:"role"`
	HistorySeq int64         `json:"history_seq"`
	// BatchIntervalMS is the minimum time between two batch frames of one
	// arm when the viewer connected (it grows with the number of viewers,
	// and is at least the batch_ms the viewer asked for).
	BatchIntervalMS int64 `json:"batch_interval_ms"`
}

// maxViewerBatchMS is the longest batch interval a viewer may ask for.
const maxViewerBatchMS = 10000

// viewerBatchInterval reads the batch_ms query parameter: the minimum time
// between two batch frames this viewer wants (a page that shows batches
// at a person's pace needs no more), 0 when absent.
func viewerBatchInterval(r *http.Request) (time.Duration, error) {
	q := r.URL.Query().Get("batch_ms")
	if q == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 0 || n > maxViewerBatchMS {
		return 0, fmt.Errorf("batch_ms %q: want a whole number of milliseconds from 0 to %d (the least time between two batch frames)", q, maxViewerBatchMS)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// serveWS upgrades GET /ws to a websocket viewer. Beyond MaxViewers, or
// MaxViewersPerAddr from one client address, it answers 503 and leaves
// existing viewers alone; a foreign Origin gets 403.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	minBatch, err := viewerBatchInterval(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.hub.admit(s.opts.MaxViewers) {
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable,
			fmt.Sprintf("too many viewers: this server admits %d at once; try again later", s.opts.MaxViewers))
		return
	}
	host := clientHost(r.RemoteAddr)
	if !s.perAddr.acquire(host) {
		s.hub.release()
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable,
			fmt.Sprintf("too many viewers from your address: this server admits %d per address at once (--max-viewers-per-address); close another tab or try again later", s.opts.MaxViewersPerAddr))
		return
	}
	role := s.Role(r)
	conn, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has already answered (403 for a foreign origin,
		// 400 for a bad handshake).
		s.perAddr.release(host)
		s.hub.release()
		s.log.Info("websocket refused", "err", err, "remote", r.RemoteAddr)
		return
	}
	v := newViewer(s, conn, role == RoleControl, r.RemoteAddr)
	v.minBatch = minBatch
	st := s.State()
	ok := s.hub.register(v, func(hseq int64) frame {
		return messageFrame("hello", s.hub.seq.Load(), helloBody{
			State: st, Role: role, HistorySeq: hseq,
			BatchIntervalMS: max(s.batchInterval(), minBatch).Milliseconds(),
		})
	})
	if !ok {
		s.perAddr.release(host)
		s.hub.release()
		conn.Close()
		return
	}
	v.signal()
	go v.serve()
}

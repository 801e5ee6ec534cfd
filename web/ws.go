package web

import (
	"fmt"
	"net/http"

	"github.com/ohemlab/ohemlab/trainer"
)

// helloBody is the payload of the hello frame.
type helloBody struct {
	State      trainer.State `json:"state"`
	Role       string        `json:"role"`
	HistorySeq int64         `json:"history_seq"`
	// BatchIntervalMS is the minimum time between two batch frames of one
	// arm when the viewer connected (it grows with the number of viewers).
	BatchIntervalMS int64 `json:"batch_interval_ms"`
}

// serveWS upgrades GET /ws to a websocket viewer. Beyond MaxViewers, or
// MaxViewersPerAddr from one client address, it answers 503 and leaves
// existing viewers alone; a foreign Origin gets 403.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
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
	st := s.State()
	ok := s.hub.register(v, func(hseq int64) frame {
		return messageFrame("hello", s.hub.seq.Load(), helloBody{
			State: st, Role: role, HistorySeq: hseq,
			BatchIntervalMS: s.batchInterval().Milliseconds(),
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

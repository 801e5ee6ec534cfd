package web

import (
	"sync"
	"sync/atomic"

	"github.com/ohemlab/ohemlab/trainer"
)

// maxPending bounds the events waiting for the hub goroutine. Beyond it
// (the hub is stuck) events are dropped and counted rather than blocking
// the trainer.
const maxPending = 1 << 14

// maxArms bounds the arm numbers the hub keeps batch frames for.
const maxArms = 16

// hub receives the trainer's events, numbers them, keeps the history and
// fans frames out to the viewers. Publish only appends to a slice under a
// short lock; the work happens on the hub goroutine.
type hub struct {
	s    *Server
	hist *history

	inMu     sync.Mutex
	inClosed bool // after close: events are ignored
	in       []trainer.Event
	spare    []trainer.Event
	dropped  atomic.Int64
	wake     chan struct{}

	seq atomic.Int64 // last sequence number handed out

	vmu     sync.RWMutex
	viewers map[*viewer]struct{}
	closed  bool
	nconn   atomic.Int64 // connections admitted, including upgrading ones

	stop    chan struct{}
	stopped chan struct{}
	wg      sync.WaitGroup // viewer goroutines
}

func newHub(s *Server) *hub {
	return &hub{
		s: s, hist: newHistory(), wake: make(chan struct{}, 1),
		viewers: map[*viewer]struct{}{},
		stop:    make(chan struct{}), stopped: make(chan struct{}),
	}
}

// publish queues e for the hub goroutine without blocking.
func (h *hub) publish(e trainer.Event) {
	if e == nil {
		return
	}
	h.inMu.Lock()
	if h.inClosed {
		h.inMu.Unlock()
		return
	}
	if len(h.in) >= maxPending {
		h.inMu.Unlock()
		h.dropped.Add(1)
		return
	}
	h.in = append(h.in, e)
	h.inMu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// run is the hub goroutine.
func (h *hub) run() {
	defer close(h.stopped)
	for {
		select {
		case <-h.wake:
		case <-h.stop:
			return
		}
		h.inMu.Lock()
		evs := h.in
		h.in = h.spare[:0]
		h.inMu.Unlock()
		h.process(evs)
		clear(evs)
		h.spare = evs[:0]
	}
}

// process numbers events in order, records rows, evals and configs, and
// sends every non-batch frame plus the latest batch frame of each arm.
func (h *hub) process(evs []trainer.Event) {
	type latest struct {
		seq int64
		ev  *trainer.BatchEvent
	}
	var batches []latest // by arm
	for _, e := range evs {
		seq := h.seq.Add(1)
		switch ev := e.(type) {
		case *trainer.BatchEvent:
			h.addRow(seq, ev)
			if ev.Arm < 0 || ev.Arm >= maxArms {
				continue
			}
			for len(batches) <= ev.Arm {
				batches = append(batches, latest{})
			}
			batches[ev.Arm] = latest{seq, ev}
			continue
		case *trainer.ConfigEvent:
			ev = h.s.publicConfigEvent(ev)
			e = ev
			h.addConfig(seq, ev)
		case *trainer.EvalEvent:
			h.addEval(seq, ev)
		default:
			h.setLast(seq)
		}
		f, err := eventFrame(seq, e)
		if err != nil {
			h.s.log.Error("cannot encode event", "kind", e.Kind(), "err", err)
			continue
		}
		h.broadcast(f)
	}
	var ds = h.s.trainer.Dataset
	for _, b := range batches {
		if b.ev == nil {
			continue
		}
		f, err := batchFrame(b.seq, b.ev, ds())
		if err != nil {
			h.s.log.Error("cannot encode batch", "err", err)
			continue
		}
		h.offerBatch(f)
	}
}

func (h *hub) setLast(seq int64) {
	h.hist.mu.Lock()
	h.hist.last = seq
	h.hist.mu.Unlock()
}

func (h *hub) addRow(seq int64, e *trainer.BatchEvent) {
	b, err := marshalJSON(rowOf(seq, e))
	if err != nil {
		return
	}
	h.hist.mu.Lock()
	h.hist.rows.add(item{seq: seq, arm: e.Arm, json: b})
	h.hist.last = seq
	h.hist.mu.Unlock()
}

func (h *hub) addEval(seq int64, e *trainer.EvalEvent) {
	lean := *e
	lean.Surface = nil
	b, err := marshalJSON(&lean)
	if err != nil {
		return
	}
	b = withHead("eval", seq, b)
	h.hist.mu.Lock()
	h.hist.evals.add(item{seq: seq, arm: e.Arm, json: b})
	h.hist.last = seq
	h.hist.mu.Unlock()
}

func (h *hub) addConfig(seq int64, e *trainer.ConfigEvent) {
	b, err := marshalJSON(e)
	if err != nil {
		return
	}
	b = withHead("config", seq, b)
	h.hist.mu.Lock()
	if e.Reset {
		h.hist.rows.reset()
		h.hist.evals.reset()
		h.hist.configs.reset()
		h.hist.runStart = seq
	}
	h.hist.configs.add(item{seq: seq, json: b})
	h.hist.last = seq
	h.hist.mu.Unlock()
}

// broadcast queues f for every viewer.
func (h *hub) broadcast(f frame) {
	h.vmu.RLock()
	defer h.vmu.RUnlock()
	for v := range h.viewers {
		v.enqueue(f)
	}
}

// offerBatch makes f the latest batch frame of its arm for every viewer.
func (h *hub) offerBatch(f frame) {
	h.vmu.RLock()
	defer h.vmu.RUnlock()
	for v := range h.viewers {
		v.offerBatch(f)
	}
}

// admit reserves a connection slot; false when the cap is reached or the
// hub is closed.
func (h *hub) admit(max int) bool {
	if n := h.nconn.Add(1); n > int64(max) {
		h.nconn.Add(-1)
		return false
	}
	h.vmu.RLock()
	closed := h.closed
	h.vmu.RUnlock()
	if closed {
		h.nconn.Add(-1)
		return false
	}
	return true
}

// release frees a slot taken by admit.
func (h *hub) release() { h.nconn.Add(-1) }

// add registers v; false when the hub is closed.
func (h *hub) add(v *viewer) bool {
	h.vmu.Lock()
	defer h.vmu.Unlock()
	if h.closed {
		return false
	}
	h.viewers[v] = struct{}{}
	return true
}

func (h *hub) remove(v *viewer) {
	h.vmu.Lock()
	delete(h.viewers, v)
	h.vmu.Unlock()
}

func (h *hub) count() int {
	h.vmu.RLock()
	defer h.vmu.RUnlock()
	return len(h.viewers)
}

// close stops the hub goroutine, sends every viewer a going-away close
// frame and waits for the viewer goroutines.
func (h *hub) close() {
	h.vmu.Lock()
	h.closed = true
	vs := make([]*viewer, 0, len(h.viewers))
	for v := range h.viewers {
		vs = append(vs, v)
	}
	h.vmu.Unlock()
	h.inMu.Lock()
	h.inClosed = true
	h.in = nil
	h.inMu.Unlock()
	close(h.stop)
	<-h.stopped
	for _, v := range vs {
		v.goAway()
	}
	h.wg.Wait()
}

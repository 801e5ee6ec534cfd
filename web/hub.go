package web

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ohemlab/ohemlab/internal/finitejson"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// maxPending bounds the events waiting for the hub goroutine. Beyond it
// (the hub is stuck) events are dropped and counted rather than blocking
// the trainer.
const maxPending = 1 << 14

// maxArms bounds the arm numbers the hub keeps batch frames for: the
// experiment's own limit.
const maxArms = experiment.MaxArms

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

	seq  atomic.Int64 // last sequence number handed out
	sent atomic.Int64 // frames written to viewers

	vmu     sync.RWMutex
	viewers map[*viewer]struct{}
	closed  bool
	nconn   atomic.Int64 // connections admitted, including upgrading ones

	stop    chan struct{}
	stopped chan struct{}
	wg      sync.WaitGroup // viewer goroutines

	// Hub goroutine only: batch frames are built and encoded once per
	// batch interval for every viewer (see emitBatches).
	pending   []pendingBatch // latest batch event per arm; ev nil = none
	lastEmit  time.Time
	emitTimer *time.Timer
	timerOn   bool
	rowCursor int64 // highest row seq carried by an emitted batch frame
	rowBuf    []byte
	skipped   atomic.Int64 // batch frames not built: no viewer was connected
}

// pendingBatch is the latest batch event of one arm, not yet emitted.
type pendingBatch struct {
	seq int64
	ev  *trainer.BatchEvent
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

// publishAll queues evs together: the hub goroutine takes them in one go,
// so a batch frame shows the newest of them.
func (h *hub) publishAll(evs []trainer.Event) {
	h.inMu.Lock()
	if h.inClosed {
		h.inMu.Unlock()
		return
	}
	for _, e := range evs {
		if e == nil {
			continue
		}
		if len(h.in) >= maxPending {
			h.dropped.Add(1)
			continue
		}
		h.in = append(h.in, e)
	}
	h.inMu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// run is the hub goroutine.
func (h *hub) run() {
	defer close(h.stopped)
	h.emitTimer = time.NewTimer(time.Hour)
	h.emitTimer.Stop()
	defer h.emitTimer.Stop()
	for {
		select {
		case <-h.wake:
		case <-h.emitTimer.C:
			h.timerOn = false
			h.emitBatches(time.Now())
			continue
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
		h.emitBatches(time.Now())
	}
}

// process numbers events in order, records rows, evals and configs, sends
// every non-batch frame and keeps the latest batch event of each arm for
// emitBatches.
func (h *hub) process(evs []trainer.Event) {
	for _, e := range evs {
		seq := h.seq.Add(1)
		switch ev := e.(type) {
		case *trainer.BatchEvent:
			h.addRow(seq, ev)
			if ev.Arm < 0 || ev.Arm >= maxArms {
				continue
			}
			for len(h.pending) <= ev.Arm {
				h.pending = append(h.pending, pendingBatch{})
			}
			h.pending[ev.Arm] = pendingBatch{seq, ev}
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
		h.broadcast(f.prepared(time.Now()))
	}
}

// emitBatches sends the pending batch frames, in seq order, if the batch
// interval has passed since the last emission, and otherwise arms the
// timer for when it will have. Each frame is encoded once, with the rows
// since the previous emitted frame, for every viewer: a viewer that got
// that previous frame sends these bytes as they are; one that missed it
// (it was coalesced away, or the viewer just connected) encodes its own
// copy with the rows it lacks. With no viewer connected the pending
// frames are dropped at once, unbuilt and without a timer (the history
// keeps their rows; a viewer that connects later gets the next frame with
// the rows after its hello, as if it had connected just after these were
// offered), so that a server nobody watches does not wake up at the frame
// rate.
func (h *hub) emitBatches(now time.Time) {
	waiting := false
	for _, b := range h.pending {
		waiting = waiting || b.ev != nil
	}
	if !waiting {
		return
	}
	if h.count() == 0 {
		for i, b := range h.pending {
			if b.ev != nil {
				h.rowCursor = max(h.rowCursor, b.seq)
				h.pending[i] = pendingBatch{}
				h.skipped.Add(1)
			}
		}
		return
	}
	interval := h.s.batchInterval()
	if wait := interval - now.Sub(h.lastEmit); wait > 0 {
		if !h.timerOn {
			h.emitTimer.Reset(wait)
			h.timerOn = true
		}
		return
	}
	h.lastEmit = now
	for {
		next := -1
		for i, b := range h.pending {
			if b.ev != nil && (next < 0 || b.seq < h.pending[next].seq) {
				next = i
			}
		}
		if next < 0 {
			return
		}
		b := h.pending[next]
		h.pending[next] = pendingBatch{}
		f, err := batchFrame(b.seq, b.ev)
		if err != nil {
			h.s.log.Error("cannot encode batch", "err", err)
			continue
		}
		f.from = h.rowCursor
		rows, ok := h.hist.recentRows(f.from, f.seq, maxRowsPerFrame)
		h.rowCursor = f.seq
		f.msg = preparedSend(f, time.Now(), rows, !ok)
		h.offerBatch(f)
	}
}

func (h *hub) setLast(seq int64) { h.hist.setLast(seq) }

// addRow keeps the step's row in the history, encoded once (in rowBuf,
// then copied to its exact size).
func (h *hub) addRow(seq int64, e *trainer.BatchEvent) {
	r := rowOf(seq, e)
	h.rowBuf = r.appendJSON(h.rowBuf[:0])
	h.hist.addRow(item{seq: seq, arm: e.Arm, json: slices.Clone(h.rowBuf)})
}

func (h *hub) addEval(seq int64, e *trainer.EvalEvent) {
	lean := *e
	lean.Surface = nil
	b, err := finitejson.Marshal(&lean)
	if err != nil {
		return
	}
	h.hist.addEval(item{seq: seq, arm: e.Arm, json: withHead("eval", seq, b)})
}

func (h *hub) addConfig(seq int64, e *trainer.ConfigEvent) {
	b, err := finitejson.Marshal(e)
	if err != nil {
		return
	}
	h.hist.addConfig(item{seq: seq, json: withHead("config", seq, b)}, e.Reset)
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

// register adds v to the viewers with hello (given the history's latest
// seq) as its first frame, and counts its goroutine for close; false when
// the hub is closed. Nothing published after the hello's seq is missed:
// registration and broadcast take the same lock.
func (h *hub) register(v *viewer, hello func(historySeq int64) frame) bool {
	h.vmu.Lock()
	defer h.vmu.Unlock()
	if h.closed {
		return false
	}
	hseq := h.hist.lastSeq()
	v.rowCursor = hseq
	v.queue = append(v.queue, hello(hseq))
	h.viewers[v] = struct{}{}
	h.wg.Add(1)
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

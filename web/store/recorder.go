package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
)

// RecorderOptions tune a Recorder. Zero values mean the defaults.
type RecorderOptions struct {
	// FlushEvery is the longest time an event waits before it is written
	// (default 1 s): a kill loses at most about this much.
	FlushEvery time.Duration
	// FlushRows starts a write early when this many events are queued
	// (default 1024).
	FlushRows int
	// MaxPending is the most batch events that may wait; beyond it batch
	// events are dropped and counted (default 65536). Config, status and
	// eval events are rare and never dropped while the Recorder is open.
	MaxPending int
	// Now is the clock for run timestamps (default time.Now).
	Now func() time.Time
	// OnError, if set, is called from the writer goroutine with every
	// failed write. It must not block.
	OnError func(error)
	// Limits, when set, are enforced after every write (Store.Prune): the
	// oldest runs that are neither live nor pinned are deleted.
	Limits Limits
	// OnPrune, if set, is called from the writer goroutine with the runs
	// each Prune deleted. It must not block for long.
	OnPrune func(deleted []int64)
}

// Default RecorderOptions.
const (
	DefaultFlushEvery = time.Second
	DefaultFlushRows  = 1024
	DefaultMaxPending = 1 << 16
	// heartbeatEvery is how often an idle live run's updated time is
	// refreshed, so that readers can tell a paused run from a dead one.
	heartbeatEvery = 10 * time.Second
)

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("store: recorder is closed")

// RecorderStats are a Recorder's counters since it was made.
type RecorderStats struct {
	Published  int64 // events queued
	Dropped    int64 // events dropped: queue full, or published after Close
	Unattached int64 // events that arrived before the first reset config
	Written    int64 // metric and eval rows committed
	Failed     int64 // events lost to failed writes
	RunID      int64 // run being recorded, 0 if none
	LastError  error // the last failed write, if any
}

// Recorder writes a trainer's events into the Store. It implements
// trainer.Sink: Publish never blocks on the database. A ConfigEvent with
// Reset starts a new run (the trainer's first config must be such an event;
// if the trainer does not publish one, publish it yourself); events before
// the first one are counted as unattached and not stored. Later
// ConfigEvents are recorded as changes of the current run.
type Recorder struct {
	s   *Store
	opt RecorderOptions

	mu     sync.Mutex
	queue  []item
	spare  []item
	nBatch int
	closed bool

	wake     chan struct{}
	flushReq chan chan error
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once
	closeErr error

	published, dropped, unattached, written, failed atomic.Int64
	runID                                           atomic.Int64
	lastErr                                         atomic.Pointer[error]

	// Owned by the writer goroutine.
	cur      *runState
	lastBeat time.Time
}

var _ trainer.Sink = (*Recorder)(nil)

// item is one queued event, already reduced to what is stored.
type item struct {
	batch  *Metric
	eval   *Eval
	config *trainer.ConfigEvent
	status *trainer.StatusEvent
	// droppedBefore is the drop count when a config event was queued, so
	// that a run's summary counts only drops after its reset.
	droppedBefore int64
}

// NewRecorder starts a Recorder writing into s. Close it before s.
func (s *Store) NewRecorder(opt RecorderOptions) *Recorder {
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = DefaultFlushEvery
	}
	if opt.FlushRows <= 0 {
		opt.FlushRows = DefaultFlushRows
	}
	if opt.MaxPending <= 0 {
		opt.MaxPending = DefaultMaxPending
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	r := &Recorder{
		s:        s,
		opt:      opt,
		wake:     make(chan struct{}, 1),
		flushReq: make(chan chan error),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go r.loop()
	return r
}

// Publish queues e for writing and returns at once. Batch events beyond
// MaxPending, and every event after Close, are dropped and counted. Events
// of other kinds are ignored. Safe for concurrent use.
func (r *Recorder) Publish(e trainer.Event) {
	it, ok := toItem(e)
	if !ok {
		return
	}
	r.mu.Lock()
	if r.closed || (it.batch != nil && r.nBatch >= r.opt.MaxPending) {
		r.dropped.Add(1)
		r.mu.Unlock()
		return
	}
	if it.config != nil {
		it.droppedBefore = r.dropped.Load()
	}
	r.queue = append(r.queue, it)
	if it.batch != nil {
		r.nBatch++
	}
	n := len(r.queue)
	r.mu.Unlock()
	r.published.Add(1)
	// A reset starts a new run: write it at once, so that run lists show
	// it without waiting for the next periodic flush.
	if n >= r.opt.FlushRows || (it.config != nil && it.config.Reset) {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// toItem reduces an event to what the database keeps. Slices are copied
// only where they are stored (evaluations).
func toItem(e trainer.Event) (item, bool) {
	switch e := e.(type) {
	case *trainer.BatchEvent:
		if e == nil {
			return item{}, false
		}
		m := &Metric{
			Arm: e.Arm, Step: e.Step, Version: e.Version,
			BatchLoss: e.BatchLoss, SelLoss: e.SelLoss,
			KeptShare: e.KeptShare, SelFlippedShare: e.SelFlippedShare,
			ExamplesSeen: e.ExamplesSeen, ExamplesBackprop: e.ExamplesBackprop,
			Wall: e.WallSeconds, ExamplesForward: e.ExamplesForward, ComputeFLOPs: e.ComputeFLOPs, Scanned: e.Scanned,
		}
		for i, q := range e.Quantiles {
			m.Q[i] = float64(q)
		}
		return item{batch: m}, true
	case *trainer.EvalEvent:
		if e == nil {
			return item{}, false
		}
		return item{eval: &Eval{
			Arm: e.Arm, Step: e.Step, Version: e.Version,
			ExamplesBackprop: e.ExamplesBackprop, Wall: e.WallSeconds,
			ExamplesForward: e.ExamplesForward, ComputeFLOPs: e.ComputeFLOPs,
			TestLoss: e.TestLoss, TestAccuracy: e.TestAccuracy, TrainLoss: e.TrainLoss,
			PerClass: e.PerClass, Confusion: e.Confusion,
		}}, true
	case *trainer.ConfigEvent:
		if e == nil {
			return item{}, false
		}
		return item{config: e}, true
	case *trainer.StatusEvent:
		if e == nil {
			return item{}, false
		}
		return item{status: e}, true
	}
	return item{}, false
}

// Flush writes everything published before the call and returns the error
// of that write, if any.
func (r *Recorder) Flush() error {
	ch := make(chan error, 1)
	select {
	case r.flushReq <- ch:
		return <-ch
	case <-r.done:
		return ErrClosed
	}
}

// Close writes what is queued, marks the current run finished and stops the
// writer. Later Publish calls are dropped. It returns the final write's
// error; calling it again returns the same.
func (r *Recorder) Close() error {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.quit)
		<-r.done
	})
	return r.closeErr
}

// Stats returns the Recorder's counters.
func (r *Recorder) Stats() RecorderStats {
	st := RecorderStats{
		Published:  r.published.Load(),
		Dropped:    r.dropped.Load(),
		Unattached: r.unattached.Load(),
		Written:    r.written.Load(),
		Failed:     r.failed.Load(),
		RunID:      r.runID.Load(),
	}
	if p := r.lastErr.Load(); p != nil {
		st.LastError = *p
	}
	return st
}

// RunID returns the id of the run being recorded as of the last write, or
// 0 if none.
func (r *Recorder) RunID() int64 { return r.runID.Load() }

// loop is the writer goroutine.
func (r *Recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(r.opt.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.write(false)
		case <-r.wake:
			r.write(false)
		case ch := <-r.flushReq:
			ch <- r.write(true)
		case <-r.quit:
			err := r.write(true)
			if err2 := r.finish(); err == nil {
				err = err2
			}
			r.closeErr = err
			return
		}
	}
}

// take swaps the queue out.
func (r *Recorder) take() []item {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queue
	r.queue = r.spare[:0]
	r.spare = nil
	r.nBatch = 0
	return q
}

// giveBack returns a processed queue's storage for reuse.
func (r *Recorder) giveBack(q []item) {
	clear(q)
	r.mu.Lock()
	if r.spare == nil && cap(q) <= 4*r.opt.MaxPending {
		r.spare = q[:0]
	}
	r.mu.Unlock()
}

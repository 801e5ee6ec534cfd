package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
)

// TestSlowViewerCostsNothing connects a viewer that never reads and one
// that does, publishes many large events and checks that every Publish
// returned, the fast viewer got the last step and the stuck one was
// dropped.
func TestSlowViewerCostsNothing(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		// Long enough that a reader starved of CPU on a loaded machine is
		// not mistaken for the stuck one; the stuck one never reads at all.
		o.WriteWait = 2 * time.Second
		o.ViewerQueue = 256
		o.BatchInterval = time.Millisecond
	})
	// The stuck viewer has a small receive buffer so that it fills soon.
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	stuck, _, err := d.Dial(e.wsURL(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	fast, _ := e.dial(t, "")
	// Registration happens on the server after the handshake the client
	// already saw: wait for both, then pick the stuck one by its address.
	waitFor(t, "two viewers", func() bool { return e.s.Viewers() == 2 })
	var stuckV *viewer
	e.s.hub.vmu.RLock()
	for v := range e.s.hub.viewers {
		if v.remote == stuck.LocalAddr().String() {
			stuckV = v
		}
	}
	e.s.hub.vmu.RUnlock()
	if stuckV == nil {
		t.Fatalf("no registered viewer has the stuck client's address %s", stuck.LocalAddr())
	}
	stuckGone := stuckV.writeDone

	type result struct {
		last float64
		err  error
	}
	got := make(chan result, 1)
	var target atomic.Int64 // the last step, once publishing is done
	go func() {
		var r result
		for {
			fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, b, err := fast.ReadMessage()
			if err != nil {
				r.err = err
				got <- r
				return
			}
			var f struct {
				Type string
				Step float64
			}
			json.Unmarshal(b, &f)
			if f.Type == "batch" {
				r.last = f.Step
			}
			if n := target.Load(); n > 0 && r.last >= float64(n) {
				got <- r
				return
			}
		}
	}()
	// Publish until the stuck viewer is dropped (its socket buffers fill,
	// a write times out); give up after a generous bound.
	big := make([]float32, 1<<14) // ~75 KB per frame fills the socket fast
	var n int64
	giveUp := time.Now().Add(30 * time.Second)
	for n = 1; ; n++ {
		if time.Now().After(giveUp) {
			t.Fatalf("stuck viewer still connected after %d events (hub seq %d, dropped %d)", n, e.s.hub.seq.Load(), e.s.hub.dropped.Load())
		}
		ev := batchEvent(0, n)
		ev.Losses = big
		e.s.Publish(ev)
		if n%5 == 0 {
			time.Sleep(time.Millisecond) // a fast trainer: at most ~5000 steps/s
		}
		if n%200 == 0 {
			e.s.Publish(&trainer.StatusEvent{State: trainer.StateRunning, Step: n})
			if e.s.Viewers() < 2 {
				break
			}
		}
	}
	target.Store(n)
	e.s.Publish(&trainer.StatusEvent{State: trainer.StatePaused, Step: n}) // wakes a reader that already has step n
	r := <-got
	if r.err != nil {
		t.Fatalf("fast viewer: %v", r.err)
	}
	if r.last != float64(n) {
		t.Errorf("fast viewer's last batch step = %v, want %d", r.last, n)
	}
	select {
	case <-stuckGone:
	default:
		t.Error("the dropped viewer was the fast one")
	}
	t.Logf("stuck viewer dropped after %d events", n)
	if d := e.s.hub.dropped.Load(); d != 0 {
		t.Errorf("hub dropped %d events", d)
	}
}

// TestNoGoroutineLeak connects and disconnects viewers (cleanly and
// abruptly) and waits for the goroutine count to return to its baseline.
func TestNoGoroutineLeak(t *testing.T) {
	e := newEnv(t, nil)
	http0 := runtime.NumGoroutine()
	var conns []*websocket.Conn
	for i := 0; i < 20; i++ {
		c, _ := e.dial(t, "")
		conns = append(conns, c)
	}
	e.s.Publish(batchEvent(0, 1))
	for i, c := range conns {
		readUntil(t, c, "batch")
		if i%2 == 0 {
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
		}
		c.Close()
	}
	waitFor(t, "viewers gone", func() bool { return e.s.Viewers() == 0 })
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > http0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d, baseline %d\n%s", runtime.NumGoroutine(), http0, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSeriesDownsampling(t *testing.T) {
	s := newSeries(4, 4)
	for i := int64(1); i <= 40; i++ {
		s.add(item{seq: i, arm: int(i % 2), json: []byte{byte('0' + i%10)}})
	}
	var seqs []int64
	for _, it := range s.recent {
		seqs = append(seqs, it.seq)
	}
	if !slices.Equal(seqs, []int64{37, 38, 39, 40}) || cap(s.recent) > 3*4 {
		t.Errorf("recent ring %v (capacity %d), want 37 to 40 in a bounded array", seqs, cap(s.recent))
	}
	got, down := s.after(nil, 0)
	if !down {
		t.Error("downsampled = false after evictions with stride > 1")
	}
	if len(got) > 4+4 || len(got) < 5 {
		t.Errorf("kept %d items, want recent 4 plus at most 4 archived", len(got))
	}
	// Both arms survive in the archive.
	arms := map[int]bool{}
	for _, it := range s.archive {
		arms[it.arm] = true
	}
	if len(arms) != 2 {
		t.Errorf("archive arms = %v, want both", arms)
	}
	// Recent rows are complete: since 36 gives 37..40.
	got, down = s.after(nil, 36)
	if len(got) != 4 || down {
		t.Errorf("after(36) = %d items (downsampled %v), want 4, false", len(got), down)
	}
	if _, ok := s.recentAfter(nil, 10, 40, 100); ok {
		t.Error("recentAfter from an evicted cursor reported complete rows")
	}
	if rows, ok := s.recentAfter(nil, 37, 40, 100); !ok || len(rows) != 3 {
		t.Errorf("recentAfter(37, 40) = %d, %v", len(rows), ok)
	}
	if _, ok := s.recentAfter(nil, 37, 40, 2); ok {
		t.Error("recentAfter over max reported ok")
	}
}

func TestHistoryResetOnConfigReset(t *testing.T) {
	e := newEnv(t, nil)
	for i := int64(1); i <= 5; i++ {
		e.s.Publish(batchEvent(0, i))
	}
	e.s.Publish(&trainer.EvalEvent{Step: 5, TestAccuracy: 0.9, Surface: &trainer.Surface{W: 1, H: 1, Prob: []float32{0.5}}})
	e.waitHistory(t, 6)
	h := e.s.hub.hist.since(0)
	if len(h.Rows) != 5 || len(h.Evals) != 1 {
		t.Fatalf("history: %d rows, %d evals", len(h.Rows), len(h.Evals))
	}
	if len(h.Evals[0]) == 0 || bytes.Contains(h.Evals[0], []byte("surface")) {
		t.Errorf("history eval keeps the surface: %s", h.Evals[0])
	}
	h = e.s.hub.hist.since(3)
	if len(h.Rows) != 2 {
		t.Errorf("since 3: %d rows, want 2", len(h.Rows))
	}
	e.s.Publish(&trainer.ConfigEvent{Version: 2, Reset: true})
	e.s.Publish(batchEvent(0, 1))
	e.waitHistory(t, 8)
	h = e.s.hub.hist.since(0)
	if len(h.Rows) != 1 || len(h.Evals) != 0 || len(h.Configs) != 1 || h.RunStartSeq != 7 {
		t.Errorf("after reset: %d rows, %d evals, %d configs, start %d", len(h.Rows), len(h.Evals), len(h.Configs), h.RunStartSeq)
	}
}

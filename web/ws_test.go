package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
)

func TestHello(t *testing.T) {
	e := newEnv(t, nil)
	_, hello := e.dial(t, "")
	if hello["role"] != RoleControl {
		t.Errorf("role = %v, want control (no token configured)", hello["role"])
	}
	st, ok := hello["state"].(map[string]any)
	if !ok || st["status"] != trainer.StateRunning {
		t.Errorf("hello state = %v", hello["state"])
	}
	for _, k := range []string{"seq", "t", "history_seq", "batch_interval_ms"} {
		if _, ok := hello[k]; !ok {
			t.Errorf("hello has no %q", k)
		}
	}
}

func TestBatchFrame(t *testing.T) {
	e := newEnv(t, nil)
	c, _ := e.dial(t, "")
	before := float64(time.Now().UnixMilli())
	e.s.Publish(batchEvent(0, 1))
	f := readUntil(t, c, "batch")
	if f["step"] != 1.0 || f["k"] != 4.0 || f["strategy"] != "topk" {
		t.Errorf("batch frame fields: %v", f)
	}
	if ts := f["t"].(float64); ts < before-1 || ts > float64(time.Now().UnixMilli())+1 {
		t.Errorf("t = %v, want about now (%v)", ts, before)
	}
	exs := f["examples"].([]any)
	if len(exs) != 2 {
		t.Fatalf("examples = %v, want 2", exs)
	}
	ex := exs[1].(map[string]any)
	want := map[string]any{"i": 2.0, "id": 2.0, "label": 1.0, "pred": 0.0, "loss": 2.0, "flipped": true}
	for k, v := range want {
		if ex[k] != v {
			t.Errorf("examples[1].%s = %v, want %v", k, ex[k], v)
		}
	}
	rows := f["rows"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["step"] != 1.0 {
		t.Errorf("rows = %v, want the one row of step 1", rows)
	}
	if _, ok := f["xy"]; ok {
		t.Errorf("xy sent for a %d-D set", e.fake.ds.Dim)
	}
}

func TestBatchFrameXY(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.ds = &data.Set{Name: "circle", Classes: 2, Dim: 2,
		TrainX: []float32{0, 1, 2, 3, 4, 5}, TrainY: []int32{0, 1, 0}}
	c, _ := e.dial(t, "")
	ev := batchEvent(0, 1)
	ev.XY = []float32{0, 1, 2, 3, 4, 5, 2, 3} // the trainer's points of ids 0,1,2,1
	e.s.Publish(ev)
	f := readUntil(t, c, "batch")
	got, _ := json.Marshal(f["xy"])
	if string(got) != "[0,1,2,3,4,5,2,3]" {
		t.Errorf("xy = %s, want the points of ids 0,1,2,1", got)
	}
}

// TestRowsWithoutHoles publishes many steps quickly: frames are coalesced,
// but the rows they carry cover every step exactly once.
func TestRowsWithoutHoles(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchInterval = 20 * time.Millisecond })
	c, _ := e.dial(t, "")
	const n = 300
	for i := int64(1); i <= n; i++ {
		e.s.Publish(batchEvent(0, i))
		if i%50 == 0 {
			time.Sleep(30 * time.Millisecond)
		}
	}
	seen := map[float64]int{}
	frames := 0
	for len(seen) < n {
		f := readUntil(t, c, "batch")
		frames++
		if f["gap"] == true {
			t.Fatalf("unexpected gap after %d steps", len(seen))
		}
		for _, r := range f["rows"].([]any) {
			seen[r.(map[string]any)["step"].(float64)]++
		}
	}
	for s, k := range seen {
		if k != 1 {
			t.Errorf("step %v carried %d times", s, k)
		}
	}
	if frames >= n {
		t.Errorf("%d batch frames for %d steps: nothing was coalesced", frames, n)
	}
	t.Logf("%d steps in %d batch frames", n, frames)
}

func TestGapWhenRowsOverflow(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchInterval = time.Hour })
	c, _ := e.dial(t, "")
	e.s.Publish(batchEvent(0, 1))
	readUntil(t, c, "batch") // the first frame goes out at once; the next waits an hour
	_ = c
	// A second viewer whose cursor is far behind: simulate via the cursor logic.
	v := &viewer{h: e.s.hub}
	for i := int64(2); i <= maxRowsPerFrame+10; i++ {
		e.s.Publish(batchEvent(0, i))
	}
	e.waitHistory(t, maxRowsPerFrame+10) // every row recorded
	rows, gap := v.rowsFor(nil, e.s.hub.seq.Load())
	if !gap || len(rows) != 0 {
		t.Errorf("rowsFor over the cap: %d rows, gap %v; want 0 rows and a gap", len(rows), gap)
	}
	if v.rowCursor != e.s.hub.seq.Load() {
		t.Errorf("cursor %d not advanced to %d", v.rowCursor, e.s.hub.seq.Load())
	}
}

func TestEventFrames(t *testing.T) {
	e := newEnv(t, nil)
	c, _ := e.dial(t, "")
	e.s.Publish(&trainer.StatusEvent{State: trainer.StateDiverged, Reason: "loss is NaN at step 9", Step: 9})
	st := readUntil(t, c, "status")
	if st["state"] != trainer.StateDiverged || !strings.Contains(st["reason"].(string), "NaN") {
		t.Errorf("status frame = %v", st)
	}
	nan := float64Nan()
	e.s.Publish(&trainer.EvalEvent{Arm: 0, Step: 9, TestLoss: nan, TestAccuracy: 0.5,
		PerClass: []float64{1, 0}, Confusion: [][]int{{1, 0}, {1, 0}}})
	ev := readUntil(t, c, "eval")
	if ev["test_loss"] != nil || ev["test_accuracy"] != 0.5 {
		t.Errorf("eval frame with NaN loss = %v, want test_loss null", ev)
	}
}

func TestControlAckAndConfigToEveryone(t *testing.T) {
	e := newEnv(t, nil)
	a, _ := e.dial(t, "")
	b, _ := e.dial(t, "")
	send(t, a, `{"type":"set","m":4,"id":"req-1"}`)
	// The ack and the config frame may arrive in either order.
	fa := readAll(t, a, "ack", "config")
	if ack := fa["ack"]; ack["id"] != "req-1" || ack["version"] != 2.0 {
		t.Errorf("ack = %v", ack)
	}
	for _, cf := range []map[string]any{fa["config"], readUntil(t, b, "config")} {
		if cf["version"] != 2.0 || !strings.Contains(toJSON(cf["changed"]), "arms[0].m") {
			t.Errorf("config frame = %v", cf)
		}
	}
	for _, msg := range []string{`{"type":"pause"}`, `{"type":"resume"}`, `{"type":"eval"}`,
		`{"type":"speed","steps_per_s":5}`, `{"type":"reset"}`} {
		send(t, a, msg)
		if f := readUntil(t, a, "ack"); f["type"] != "ack" {
			t.Errorf("%s: %v", msg, f)
		}
	}
	for _, name := range []string{"Pause", "Resume", "RequestEval", "Reset"} {
		if e.fake.count(name) != 1 {
			t.Errorf("%s called %d times, want 1", name, e.fake.count(name))
		}
	}
	// step fails in the fake (not paused): the trainer's message comes back.
	send(t, a, `{"type":"step","id":"s"}`)
	f := readUntil(t, a, "error")
	if f["id"] != "s" || !strings.Contains(f["error"].(string), "not paused") {
		t.Errorf("step error = %v", f)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTokenAndRoles(t *testing.T) {
	const token = "s3cret-token-value"
	e := newEnv(t, func(o *Options) { o.ControlToken = token })
	viewer, hello := e.dial(t, "")
	if hello["role"] != RoleViewer {
		t.Fatalf("role without token = %v", hello["role"])
	}
	presenter, hello2 := e.dial(t, "token="+token)
	if hello2["role"] != RoleControl {
		t.Fatalf("role with token = %v", hello2["role"])
	}
	send(t, viewer, `{"type":"pause","id":"v"}`)
	f := readUntil(t, viewer, "error")
	if !strings.Contains(f["error"].(string), "read-only") {
		t.Errorf("viewer pause error = %v", f)
	}
	send(t, viewer, `{"type":"pause","token":"wrong"}`)
	f = readUntil(t, viewer, "error")
	if f["error"] != "read-only viewer: controlling training needs the control token" {
		t.Errorf("wrong token error = %v", f)
	}
	if n := e.fake.count("Pause"); n != 0 {
		t.Fatalf("viewer paused training (%d calls)", n)
	}
	send(t, viewer, `{"type":"pause","token":"`+token+`"}`)
	readUntil(t, viewer, "ack")
	send(t, presenter, `{"type":"resume"}`)
	readUntil(t, presenter, "ack")

	code, _, body := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"pause"}`))
	if code != http.StatusForbidden || !strings.Contains(string(body), "read-only") {
		t.Errorf("POST without token: %d %s", code, body)
	}
	code, _, body = e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"pause"}`), "Authorization", "Bearer "+token)
	if code != http.StatusOK {
		t.Errorf("POST with bearer token: %d %s", code, body)
	}
	code, _, _ = e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"pause"}`), "X-Control-Token", token)
	if code != http.StatusOK {
		t.Errorf("POST with X-Control-Token: %d", code)
	}
	if e.fake.count("Pause") != 3 {
		t.Errorf("Pause calls = %d, want 3", e.fake.count("Pause"))
	}
	// The token never reaches the logs or other viewers.
	e.s.Publish(&trainer.StatusEvent{State: "paused"})
	readUntil(t, viewer, "status")
	if strings.Contains(e.logs.String(), token) {
		t.Errorf("token appears in the logs")
	}
	for _, st := range []any{hello["state"], hello2["state"]} {
		if strings.Contains(toJSON(st), token) {
			t.Errorf("token sent in a frame")
		}
	}
}

func TestOriginCheck(t *testing.T) {
	e := newEnv(t, nil)
	hdr := http.Header{"Origin": {"http://evil.example"}}
	_, resp, err := websocket.DefaultDialer.Dial(e.wsURL(""), hdr)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: err %v, resp %v; want 403", err, resp)
	}
	same := http.Header{"Origin": {e.ts.URL}}
	c, _, err := websocket.DefaultDialer.Dial(e.wsURL(""), same)
	if err != nil {
		t.Fatalf("same origin refused: %v", err)
	}
	c.Close()

	e2 := newEnv(t, func(o *Options) { o.AllowedOrigins = []string{"https://proxy.example"} })
	c, _, err = websocket.DefaultDialer.Dial(e2.wsURL(""), http.Header{"Origin": {"https://proxy.example"}})
	if err != nil {
		t.Fatalf("allow-listed origin refused: %v", err)
	}
	c.Close()
	_, resp, err = websocket.DefaultDialer.Dial(e2.wsURL(""), hdr)
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin with allow-list: err %v", err)
	}
}

func TestConnectionCap(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxViewers = 2 })
	a, _ := e.dial(t, "")
	e.dial(t, "")
	_, resp, err := websocket.DefaultDialer.Dial(e.wsURL(""), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third viewer: err %v resp %v, want 503", err, resp)
	}
	var body errorBody
	json.NewDecoder(resp.Body).Decode(&body)
	if !strings.Contains(body.Error, "too many viewers") {
		t.Errorf("refusal message = %q", body.Error)
	}
	e.s.Publish(batchEvent(0, 1))
	if f := readUntil(t, a, "batch"); f["step"] != 1.0 {
		t.Errorf("existing viewer after refusal: %v", f)
	}
}

func TestCloseSendsGoingAway(t *testing.T) {
	e := newEnv(t, nil)
	c, _ := e.dial(t, "")
	done := make(chan struct{})
	go func() {
		e.s.Close()
		close(done)
	}()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var err error
	for err == nil {
		_, _, err = c.ReadMessage()
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("read after Close: %v, want close 1001", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, resp, err := websocket.DefaultDialer.Dial(e.wsURL(""), nil); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v", err)
	}
}

func TestPingTimeoutDropsDeadPeer(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.PingInterval = 100 * time.Millisecond
		o.PongWait = 600 * time.Millisecond
	})
	// A peer that never reads never answers pings.
	c, _, err := websocket.DefaultDialer.Dial(e.wsURL(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, "viewer registered", func() bool { return e.s.Viewers() == 1 })
	waitFor(t, "dead peer dropped", func() bool { return e.s.Viewers() == 0 })
}

// TestPingKeepsLivePeer checks that a peer answering pings outlives many
// pong waits: it counts the pings the peer answered rather than sleeping,
// and the pong wait is long enough that a reader starved of CPU on a loaded
// machine still answers in time.
func TestPingKeepsLivePeer(t *testing.T) {
	const pongWait = 2 * time.Second
	e := newEnv(t, func(o *Options) {
		o.PingInterval = 100 * time.Millisecond
		o.PongWait = pongWait
	})
	live, _ := e.dial(t, "")
	var pings atomic.Int64
	live.SetPingHandler(func(data string) error {
		pings.Add(1)
		return live.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := live.ReadMessage(); err != nil {
				return
			}
		}
	}()
	// 40 pings at 100 ms span at least 4 s: two pong waits.
	waitFor(t, "40 pings answered (or the peer dropped)", func() bool {
		return pings.Load() >= 40 || e.s.Viewers() == 0
	})
	if n := e.s.Viewers(); n != 1 {
		t.Errorf("live viewer dropped after %d answered pings: %d viewers", pings.Load(), n)
	}
}

func float64Nan() float64 {
	var z float64
	return z / z
}

func TestPublishAfterClose(t *testing.T) {
	e := newEnv(t, nil)
	e.s.Close()
	for i := int64(1); i <= maxPending+10; i++ {
		e.s.Publish(batchEvent(0, i))
	}
	e.s.hub.inMu.Lock()
	n := len(e.s.hub.in)
	e.s.hub.inMu.Unlock()
	if n != 0 || e.s.hub.dropped.Load() != 0 {
		t.Errorf("after Close: %d events queued, %d dropped; want them ignored", n, e.s.hub.dropped.Load())
	}
	e.s.Close() // a second Close is harmless
}

func TestControlPanicRecovered(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.panicStep = true
	c, _ := e.dial(t, "")
	send(t, c, `{"type":"step","id":"boom"}`)
	f := readUntil(t, c, "error")
	if f["id"] != "boom" || !strings.Contains(f["error"].(string), "internal error") {
		t.Errorf("panicking control: %v", f)
	}
	if !strings.Contains(e.logs.String(), "fake step exploded") {
		t.Error("panic not logged")
	}
	send(t, c, `{"type":"pause","id":"after"}`)
	if f := readUntil(t, c, "ack"); f["id"] != "after" {
		t.Errorf("connection unusable after a panic: %v", f)
	}
}

func TestBatchIntervalBudget(t *testing.T) {
	tests := []struct {
		budget, viewers int
		want            time.Duration
	}{
		{4000, 0, 50 * time.Millisecond},
		{4000, 200, 50 * time.Millisecond},
		{4000, 400, 100 * time.Millisecond},
		{4000, 1000, 250 * time.Millisecond},
		{-1, 1000, 50 * time.Millisecond},
	}
	for _, tc := range tests {
		e := newEnv(t, func(o *Options) { o.BatchBudget = tc.budget })
		e.s.hub.nconn.Store(int64(tc.viewers))
		if got := e.s.batchInterval(); got != tc.want {
			t.Errorf("budget %d, %d viewers: interval %v, want %v", tc.budget, tc.viewers, got, tc.want)
		}
		e.s.hub.nconn.Store(0)
	}
}

// TestViewerBatchInterval: a viewer that asks for batch_ms gets no two
// batch frames closer than that, and the rows they carry still cover every
// step once; a bad batch_ms is refused with a message.
func TestViewerBatchInterval(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchInterval = time.Millisecond })
	const ms = 300
	c, hello := e.dial(t, fmt.Sprintf("batch_ms=%d", ms))
	if got := hello["batch_interval_ms"]; got != float64(ms) {
		t.Errorf("hello batch_interval_ms = %v, want %d", got, ms)
	}
	const n = 60
	go func() {
		for i := int64(1); i <= n; i++ {
			e.s.Publish(batchEvent(0, i))
			time.Sleep(5 * time.Millisecond)
		}
	}()
	seen := map[float64]int{}
	var last time.Time
	frames := 0
	for len(seen) < n {
		f := readUntil(t, c, "batch")
		now := time.Now()
		if frames > 0 && now.Sub(last) < ms*time.Millisecond-20*time.Millisecond {
			// 20 ms: the reader's clock, not the server's, is measured
			t.Errorf("batch frames %v apart, want at least %d ms", now.Sub(last), ms)
		}
		last = now
		frames++
		for _, r := range f["rows"].([]any) {
			seen[r.(map[string]any)["step"].(float64)]++
		}
	}
	for s, k := range seen {
		if k != 1 {
			t.Errorf("step %v carried %d times", s, k)
		}
	}
	if frames < 2 {
		t.Errorf("%d batch frames for %d steps over more than %d ms, want several", frames, n, ms)
	}
	for _, q := range []string{"batch_ms=-1", "batch_ms=abc", "batch_ms=10001"} {
		_, resp, err := websocket.DefaultDialer.Dial(e.wsURL(q), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: err %v, response %v; want 400", q, err, resp)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), "batch_ms") || !strings.Contains(string(b), "milliseconds") {
			t.Errorf("%s: body %s, want a message naming batch_ms", q, b)
		}
	}
}

// TestViewerBatchHeldUntilStatus: a batch frame held back by batch_ms goes
// out with the next status frame, so that a viewer sees the step training
// paused at without waiting for its slot.
func TestViewerBatchHeldUntilStatus(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchInterval = time.Millisecond })
	c, _ := e.dial(t, "batch_ms=10000")
	e.s.Publish(batchEvent(0, 1))
	if f := readUntil(t, c, "batch"); f["step"] != float64(1) {
		t.Fatalf("first batch frame has step %v, want 1 at once", f["step"])
	}
	start := time.Now()
	e.s.Publish(batchEvent(0, 2))
	waitFor(t, "step 2 held for the viewer", func() bool {
		e.s.hub.vmu.RLock()
		defer e.s.hub.vmu.RUnlock()
		for v := range e.s.hub.viewers {
			v.mu.Lock()
			n := v.nbatches
			v.mu.Unlock()
			if n > 0 {
				return true
			}
		}
		return false
	})
	e.s.Publish(&trainer.StatusEvent{State: trainer.StatePaused, Step: 2})
	got := map[string]any{}
	for got["status"] == nil || got["batch"] == nil {
		f := readFrame(t, c)
		got[f["type"].(string)] = f
	}
	if b := got["batch"].(map[string]any); b["step"] != float64(2) {
		t.Errorf("batch frame with the status has step %v, want 2", b["step"])
	}
	// The slot was 10 s away: the frame came with the status, not in it.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the held batch frame came %v after the pause, want it with the status frame", d)
	}
}

// TestViewerBatchEarlyWhenRowsPile: a viewer with a long batch_ms is sent
// a frame early when half a frame's rows are waiting, so that a fast
// trainer never makes it fetch the history (no gap).
func TestViewerBatchEarlyWhenRowsPile(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchInterval = time.Millisecond })
	c, _ := e.dial(t, "batch_ms=10000")
	e.s.Publish(batchEvent(0, 1))
	readUntil(t, c, "batch")
	start := time.Now()
	n := int64(maxRowsPerFrame/2 + 10)
	for i := int64(2); i <= n+1; i++ {
		e.s.Publish(batchEvent(0, i))
	}
	seen := 0
	for seen < maxRowsPerFrame/2 {
		f := readUntil(t, c, "batch")
		if f["gap"] == true {
			t.Fatalf("a gap after %d rows: the frame should have gone out before the rows overflowed it", seen)
		}
		seen += len(f["rows"].([]any))
	}
	// The slot was 10 s away.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d rows waited %v for the viewer's slot, want them sent early", seen, d)
	}
}

// TestBatchFramesWithoutViewers: with no viewer connected the hub builds
// no batch frames (the rows go to the history); a viewer that connects
// afterwards gets the next batch frame with exactly the rows after its
// hello.
func TestBatchFramesWithoutViewers(t *testing.T) {
	e := newEnv(t, nil)
	for i := int64(1); i <= 5; i++ {
		e.s.Publish(batchEvent(0, i))
	}
	e.waitHistory(t, 5)
	waitFor(t, "a batch frame skipped", func() bool { return e.s.hub.skipped.Load() > 0 })
	c, hello := e.dial(t, "")
	if hs := hello["history_seq"].(float64); hs != 5 {
		t.Fatalf("hello's history_seq = %v, want 5", hs)
	}
	e.s.Publish(batchEvent(0, 6))
	f := readUntil(t, c, "batch")
	if f["step"].(float64) != 6 || f["gap"] == true {
		t.Fatalf("batch frame of step %v (gap %v), want step 6 without a gap", f["step"], f["gap"])
	}
	rows := f["rows"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["step"].(float64) != 6 {
		t.Fatalf("batch frame rows %v, want step 6's only", rows)
	}
}

// TestRowsWaitingUpToPendingFrame: the rows a viewer's early send counts
// are those its pending frame would carry, not rows the history already
// holds for frames not yet offered (counting those sent an old frame early
// and left the rest to the viewer's next slot, seconds later).
func TestRowsWaitingUpToPendingFrame(t *testing.T) {
	e := newEnv(t, nil)
	for i := int64(1); i <= 40; i++ {
		e.s.Publish(batchEvent(0, i))
	}
	e.waitHistory(t, 40)
	v := &viewer{h: e.s.hub, rowCursor: 5}
	if n := v.rowsWaiting(); n != 0 {
		t.Errorf("no pending frame: rowsWaiting = %d, want 0", n)
	}
	v.batches = []frame{{seq: 12}}
	if n := v.rowsWaiting(); n != 7 {
		t.Errorf("pending frame at seq 12, cursor 5: rowsWaiting = %d, want 7", n)
	}
	v.batches = []frame{{seq: 12}, {seq: 40}}
	if n := v.rowsWaiting(); n != 35 {
		t.Errorf("pending frames up to seq 40, cursor 5: rowsWaiting = %d, want 35", n)
	}
}

package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

// realEnv starts the real trainer on cfg behind a server and runs it until
// the test ends.
func realEnv(t testing.TB, cfg trainer.Config, mod func(*Options)) (*testEnv, *trainer.Trainer) {
	t.Helper()
	var (
		mu  sync.Mutex
		srv *Server
	)
	forward := trainer.SinkFunc(func(e trainer.Event) {
		mu.Lock()
		s := srv
		mu.Unlock()
		if s != nil {
			s.Publish(e)
		}
	})
	tr, err := trainer.New(cfg, trainer.Options{Sink: forward})
	if err != nil {
		t.Fatalf("trainer.New: %v", err)
	}
	o := Options{Trainer: tr, Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	srv = s
	mu.Unlock()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	runTrainer(t, tr)
	return &testEnv{s: s, ts: ts, logs: &syncBuffer{}}, tr
}

// runTrainer runs tr in the background until the test ends (cleanups run
// last-in first-out: the trainer stops before the server closes).
func runTrainer(t testing.TB, tr *trainer.Trainer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// TestRealTrainerOn2D runs the real trainer on the circle set and checks
// batch frames (with points), a live change of M reaching every viewer and
// the next frames, and a rejected K that changes nothing.
func TestRealTrainerOn2D(t *testing.T) {
	cfg := trainer.DefaultConfig("circle")
	cfg.SpeedCap = 200
	e, tr := realEnv(t, cfg, nil)
	a, hello := e.dial(t, "")
	b, _ := e.dial(t, "")
	if st := hello["state"].(map[string]any); st["dataset"].(map[string]any)["dim"] != 2.0 {
		t.Fatalf("hello dataset: %v", st["dataset"])
	}
	f := readUntil(t, a, "batch")
	k := int(f["k"].(float64))
	if xy := f["xy"].([]any); len(xy) != 2*k {
		t.Errorf("xy has %d numbers, want 2*K = %d", len(xy), 2*k)
	}
	if labels, _ := f["labels"].([]any); len(labels) != k {
		t.Errorf("labels has %d entries, want K = %d", len(labels), k)
	} else {
		for _, ex := range f["examples"].([]any) {
			ex := ex.(map[string]any)
			if got := labels[int(ex["i"].(float64))]; got != ex["label"] {
				t.Errorf("labels[%v] = %v, but the kept example's label is %v", ex["i"], got, ex["label"])
			}
		}
	}
	if n := len(f["examples"].([]any)); n != int(f["m"].(float64)) {
		t.Errorf("%d examples, want M = %v", n, f["m"])
	}
	send(t, a, `{"type":"set","m":3,"id":"m3"}`)
	fa := readAll(t, a, "ack", "config") // in either order
	ack := fa["ack"]
	if ack["id"] != "m3" {
		t.Fatalf("ack = %v", ack)
	}
	version := ack["version"].(float64)
	for _, c := range []struct {
		cf   map[string]any
		name string
	}{{fa["config"], "a"}, {readUntil(t, b, "config"), "b"}} {
		if c.cf["version"] != version {
			t.Errorf("viewer %s: config version %v, want %v", c.name, c.cf["version"], version)
		}
	}
	for {
		f := readUntil(t, b, "batch")
		if f["version"].(float64) >= version {
			if n := len(f["examples"].([]any)); n != 3 {
				t.Errorf("after m=3: %d examples", n)
			}
			break
		}
	}
	before := tr.State()
	send(t, a, `{"type":"set","k":100000}`)
	er := readUntil(t, a, "error")
	if !strings.Contains(er["error"].(string), "K (batch) must be a whole number between 1 and") || er["field"] != "k" {
		t.Errorf("k too large: %v", er)
	}
	send(t, a, `{"type":"set","m":0}`)
	readUntil(t, a, "error")
	after := tr.State()
	if after.Version != before.Version || after.Config.K != before.Config.K {
		t.Errorf("rejected change altered the run: version %d -> %d", before.Version, after.Version)
	}
	// Training carries on.
	step := after.Step
	waitFor(t, "training continues", func() bool { return tr.State().Step > step })

	// Rows in /api/history cover every step of arm 0 so far. The trainer
	// counts a step before it publishes the step's events, and the hub
	// records them on its own goroutine: wait until the history holds
	// step, then look for holes below it.
	steps := map[float64]bool{}
	waitFor(t, "history rows up to the current step", func() bool {
		code, _, body := e.get(t, "/api/history?since=0")
		if code != 200 {
			t.Fatalf("history: %d", code)
		}
		clear(steps)
		for _, r := range jsonBody(t, body)["rows"].([]any) {
			steps[r.(map[string]any)["step"].(float64)] = true
		}
		return steps[float64(step)]
	})
	for s := 1.0; s <= float64(step); s++ {
		if !steps[s] {
			t.Errorf("history misses step %v", s)
			break
		}
	}
}

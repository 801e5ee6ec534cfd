package trainer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
)

// recorder is a Sink that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
	hook   func(Event) // called from the training goroutine, may be nil
}

func (r *recorder) Publish(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.hook != nil {
		r.hook(e)
	}
}

// batches returns the batch events of arm (all arms if arm < 0).
func (r *recorder) batches(arm int) []*BatchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*BatchEvent
	for _, e := range r.events {
		if b, ok := e.(*BatchEvent); ok && (arm < 0 || b.Arm == arm) {
			out = append(out, b)
		}
	}
	return out
}

// evals returns the eval events of arm.
func (r *recorder) evals(arm int) []*EvalEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*EvalEvent
	for _, e := range r.events {
		if v, ok := e.(*EvalEvent); ok && v.Arm == arm {
			out = append(out, v)
		}
	}
	return out
}

// statuses returns the status events.
func (r *recorder) statuses() []*StatusEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*StatusEvent
	for _, e := range r.events {
		if v, ok := e.(*StatusEvent); ok {
			out = append(out, v)
		}
	}
	return out
}

// configs returns the config events.
func (r *recorder) configs() []*ConfigEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*ConfigEvent
	for _, e := range r.events {
		if v, ok := e.(*ConfigEvent); ok {
			out = append(out, v)
		}
	}
	return out
}

// plane returns a small, fast 2-D config.
func plane(name string) Config {
	cfg := DefaultConfig(name)
	cfg.Data.Size = 400
	return cfg
}

// withArms returns cfg with the given arms (strategy and M; other fields
// from the first arm).
func withArms(cfg Config, arms ...ArmConfig) Config {
	base := cfg.Arms[0]
	cfg.Arms = nil
	for _, a := range arms {
		b := base
		b.Name = ""
		b.Select = a.Select
		if a.Exec != "" {
			b.Exec = a.Exec
		}
		if a.LR != 0 {
			b.LR = a.LR
		}
		b.FocalGamma, b.FocalAlpha = a.FocalGamma, a.FocalAlpha
		cfg.Arms = append(cfg.Arms, b)
	}
	return cfg.WithDefaults()
}

// sel is shorthand for an arm with a strategy and M.
func sel(strategy string, m int) ArmConfig {
	return ArmConfig{Select: ohem.Params{Strategy: strategy, M: m}}
}

// run trains cfg for steps steps and returns the recorder.
func run(t testing.TB, cfg Config, steps int64) (*Trainer, *recorder) {
	t.Helper()
	rec := &recorder{}
	tr, err := New(cfg, Options{Sink: rec, MaxSteps: steps})
	if err != nil {
		t.Fatal(err)
	}
	// A run that diverges or fails a step pauses and waits for a user:
	// fail the test with the reason instead of waiting for its timeout.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return tr, rec
		case <-tick.C:
			if st := tr.State(); st.Status == StateDiverged {
				cancel()
				<-done
				t.Fatalf("training stopped at step %d: %s", st.Step, st.Reason)
			}
		}
	}
}

// start runs a trainer in the background; stop cancels it and waits.
func start(t testing.TB, cfg Config, opt Options) (*Trainer, func()) {
	t.Helper()
	tr, err := New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	return tr, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// params returns a copy of every parameter of an arm, flattened.
func params(a *arm) []float32 {
	var out []float32
	for _, p := range a.model.Values() {
		out = append(out, p...)
	}
	return out
}

package external

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
)

func ingest(t *testing.T, s *Source, body []byte) *Reply {
	t.Helper()
	rep, err := s.Ingest(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestEventsLikeTheTrainer: a hello starts a run (a reset config the run
// store keys on), and each batch becomes a BatchEvent with the per-example
// arrays, selection, quantiles and totals the built-in trainer fills in.
func TestEventsLikeTheTrainer(t *testing.T) {
	rec := &recorder{}
	s := New(Options{Sink: rec, Command: "python3 train.py"})
	if st := s.State(); st.Status != StateWaiting || !strings.Contains(st.Reason, "python3 train.py") {
		t.Fatalf("before a trainer: %q %q", st.Status, st.Reason)
	}
	if _, err := s.Apply(trainer.Change{M: ptr(3)}); err == nil || !strings.Contains(err.Error(), "python3 train.py") {
		t.Fatalf("a change before a trainer: %v", err)
	}
	ingest(t, s, request("job", true, batchJSON(1), batchJSON(2)))
	cfgs := rec.configs()
	if len(cfgs) != 1 || !cfgs[0].Reset || cfgs[0].Config.K != 4 || cfgs[0].Config.Arms[0].Select.M != 2 {
		t.Fatalf("configs = %+v", cfgs)
	}
	bs := rec.batches()
	if len(bs) != 2 {
		t.Fatalf("%d batch events, want 2", len(bs))
	}
	b := bs[1]
	if b.Step != 2 || b.K != 4 || b.M != 2 || b.Strategy != "topk" || len(b.Selected) != 2 || b.Selected[1] != 3 {
		t.Errorf("batch event = %+v", b)
	}
	if b.Quantiles[0] != 0.1 || b.Quantiles[4] != 2.5 || b.ExamplesSeen != 8 || b.ExamplesBackprop != 4 {
		t.Errorf("quantiles %v, seen %d, backprop %d", b.Quantiles, b.ExamplesSeen, b.ExamplesBackprop)
	}
	if want := (2.5 + 1.5) / 4.4; b.KeptShare < want-1e-6 || b.KeptShare > want+1e-6 {
		t.Errorf("kept share %v, want %v", b.KeptShare, want)
	}
	st := s.State()
	if st.Status != trainer.StateRunning || st.Dataset.ImageW != 2 || st.Dataset.Classes != 10 || st.Step != 2 {
		t.Errorf("state = %+v", st)
	}
	img, err := s.ExampleImage(9) // step 2's index 1: id 9, first selected image
	if err != nil || img.Bounds().Dx() != 2 {
		t.Fatalf("image: %v %v", img, err)
	}
	dm, err := s.DataMap(0, 0)
	if err != nil || dm.Total != 8 {
		t.Fatalf("data map: %+v %v", dm, err)
	}
	ex, err := s.Example(0, 9)
	if err != nil || ex.Selected != 1 || ex.Label != 2 || ex.LastPred != 0 {
		t.Fatalf("example: %+v %v", ex, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestControlReachesTheClient: a change is in the next reply; pause holds
// a waiting request until resume; step lets one batch through.
func TestControlReachesTheClient(t *testing.T) {
	s := New(Options{})
	rep := ingest(t, s, request("job", true, batchJSON(1)))
	if rep.Arms[0].M != 2 || rep.Paused {
		t.Fatalf("first reply %+v", rep)
	}
	ev, err := s.Apply(trainer.Change{M: ptr(3)})
	if err != nil || ev.Step != 2 {
		t.Fatalf("apply: %+v %v", ev, err)
	}
	rep = ingest(t, s, request("job", false, batchJSON(2)))
	if rep.Arms[0].M != 3 || rep.Arms[0].Ratio != 0.75 || rep.Version != ev.Version {
		t.Fatalf("reply after the change %+v", rep)
	}
	for _, c := range []struct {
		ch   trainer.Change
		want string
	}{
		{trainer.Change{K: ptr(8)}, "batch size"},
		{trainer.Change{Strategy: ptr("hardneg")}, "not offered by this training process"},
		{trainer.Change{M: ptr(9)}, "m = 9"},
		{trainer.Change{Arm: 1, M: ptr(1)}, "arm = 1 out of range"},
	} {
		if _, err := s.Apply(c.ch); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("apply %+v: %v, want %q", c.ch, err, c.want)
		}
	}

	s.Pause()
	rep = ingest(t, s, request("job", false, batchJSON(3))) // in flight: accepted, not held
	if !rep.Paused || rep.Accepted != 1 {
		t.Fatalf("reply while paused %+v", rep)
	}
	got := make(chan *Reply)
	go func() {
		r, _ := s.Ingest(context.Background(), []byte(fmt.Sprintf(`{"session":"job","wait":%d}`, rep.Revision)))
		got <- r
	}()
	if err := s.StepOnce(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if !r.Paused || !r.Step {
		t.Fatalf("after step: %+v", r)
	}
	r = ingest(t, s, request("job", false, batchJSON(4))) // the single step
	if !r.Paused || r.Step {
		t.Fatalf("after the single step went through: %+v", r)
	}
	go func() {
		r, _ := s.Ingest(context.Background(), []byte(fmt.Sprintf(`{"session":"job","wait":%d}`, r.Revision)))
		got <- r
	}()
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.Paused {
		t.Fatalf("after resume: %+v", r)
	}

	// Reset only when the client can start over.
	before := rep.Run
	if err := s.Reset(s.State().Config); err != nil {
		t.Fatal(err)
	}
	if r := ingest(t, s, []byte(`{"session":"job"}`)); r.Run != before+1 {
		t.Fatalf("run after reset %d, want %d", r.Run, before+1)
	}
	if r := ingest(t, s, []byte(`{"session":"job","run":1,"batches":[`+batchJSON(5)+`]}`)); r.Stale != 1 {
		t.Fatalf("records of the old run: %+v", r)
	}
	noReset := strings.Replace(string(request("job2", true)), `"can_reset":true`, `"can_reset":false`, 1)
	ingest(t, s, []byte(noReset))
	if err := s.Reset(s.State().Config); err == nil || !strings.Contains(err.Error(), "can_reset") {
		t.Fatalf("reset without can_reset: %v", err)
	}
}

// TestLongPollTimesOut: a waiting request comes back after the long-poll
// even when nothing changed.
func TestLongPollTimesOut(t *testing.T) {
	s := New(Options{LongPoll: 10 * time.Millisecond})
	rep := ingest(t, s, request("job", true))
	r := ingest(t, s, []byte(fmt.Sprintf(`{"session":"job","wait":%d}`, rep.Revision)))
	if r.Revision != rep.Revision {
		t.Fatalf("revision moved: %d -> %d", rep.Revision, r.Revision)
	}
}

// TestRanksMerge: two ranks' batches of one step become one event of
// K = 2 × 4 that names each example's rank.
func TestRanksMerge(t *testing.T) {
	rec := &recorder{}
	s := New(Options{Sink: rec})
	hello := func(rank int, batches ...string) []byte {
		b := string(request("dist", true, batches...))
		return []byte(strings.Replace(b, `{"session":"dist"`, fmt.Sprintf(`{"session":"dist","rank":%d,"world":2`, rank), 1))
	}
	ingest(t, s, hello(0, batchJSON(1)))
	if n := len(rec.batches()); n != 0 {
		t.Fatalf("%d events before rank 1 reported", n)
	}
	ingest(t, s, hello(1, batchJSON(1)))
	bs := rec.batches()
	if len(bs) != 1 {
		t.Fatalf("%d events, want 1", len(bs))
	}
	b := bs[0]
	if b.K != 8 || len(b.Ranks) != 8 || b.Ranks[0] != 0 || b.Ranks[7] != 1 || len(b.Selected) != 4 || b.Selected[2] != 5 || b.M != 4 {
		t.Fatalf("merged event %+v", b)
	}
	sum := float32(0)
	for _, w := range b.Weights {
		sum += w
	}
	if sum < 0.999 || sum > 1.001 {
		t.Errorf("weights sum to %v", sum)
	}
	if len(rec.configs()) != 1 {
		t.Errorf("the second rank's hello started another run")
	}
}

// allSink records how events arrive: one PublishAll call per slice.
type allSink struct {
	recorder
	calls [][]trainer.Event
}

func (a *allSink) PublishAll(evs []trainer.Event) {
	a.calls = append(a.calls, slices.Clone(evs))
}

// TestRequestPublishedAtOnce: the batches of one request reach a
// trainer.BatchSink in one call, so that viewers see them together.
func TestRequestPublishedAtOnce(t *testing.T) {
	sink := &allSink{}
	src := New(Options{Sink: sink})
	if _, err := src.Ingest(context.Background(), request("job", true, batchJSON(1))); err != nil {
		t.Fatal(err)
	}
	sink.calls = nil
	if _, err := src.Ingest(context.Background(), request("job", false, batchJSON(2), batchJSON(3), batchJSON(4))); err != nil {
		t.Fatal(err)
	}
	if len(sink.calls) != 1 || len(sink.calls[0]) != 3 {
		t.Fatalf("PublishAll calls %v, want one of 3 batch events", sink.calls)
	}
	if b, ok := sink.calls[0][2].(*trainer.BatchEvent); !ok || b.Step != 4 {
		t.Errorf("last event %+v, want the batch of step 4", sink.calls[0][2])
	}
}

// versioned is batchJSON(step) saying which control version the client
// used for it.
func versioned(step int, version int64) string {
	b := batchJSON(step)
	return b[:len(b)-1] + fmt.Sprintf(`,"version":%d}`, version)
}

// TestChangeStampedWhereTheClientAppliedIt: a client that reports the
// control version it used gets a change's config event (the chart's marker
// and the saved run's change list) at the first batch that used it, however
// many steps it trained before taking it; a client that does not report it
// gets it at the step after the last one received, as before; pausing and
// stopping publish a waiting change.
func TestChangeStampedWhereTheClientAppliedIt(t *testing.T) {
	changeAt := func(t *testing.T, rec *recorder, version int64) *trainer.ConfigEvent {
		t.Helper()
		for _, c := range rec.configs() {
			if c.Version == version {
				return c
			}
		}
		return nil
	}
	t.Run("late client", func(t *testing.T) {
		rec := &recorder{}
		s := New(Options{Sink: rec})
		rep := ingest(t, s, request("job", true, versioned(1, 1), versioned(2, 1)))
		v0 := rep.Version
		ev, err := s.Apply(trainer.Change{M: ptr(3)})
		if err != nil || ev.Version != v0+1 {
			t.Fatalf("Apply: %+v %v", ev, err)
		}
		if c := changeAt(t, rec, ev.Version); c != nil {
			t.Fatalf("change published at step %d before any batch used it", c.Step)
		}
		// The client had steps 3 to 5 in flight with the old settings,
		// took the change at step 6.
		rep = ingest(t, s, request("job", false, versioned(3, v0), versioned(4, v0), versioned(5, v0)))
		if rep.Arms[0].M != 3 || rep.Version != ev.Version {
			t.Fatalf("reply %+v: want M 3 at version %d", rep, ev.Version)
		}
		if c := changeAt(t, rec, ev.Version); c != nil {
			t.Fatalf("change published at step %d while the client still used version %d", c.Step, v0)
		}
		ingest(t, s, request("job", false, versioned(6, ev.Version), versioned(7, ev.Version)))
		c := changeAt(t, rec, ev.Version)
		if c == nil || c.Step != 6 || c.Config.Arms[0].Select.M != 3 || !slices.Contains(c.Changed, "arms[0].m") {
			t.Fatalf("change event %+v: want step 6 with M 3", c)
		}
		// In event order: the change comes before the batch that used it,
		// and each batch carries the version it used.
		var order []string
		for _, e := range rec.evs {
			switch e := e.(type) {
			case *trainer.BatchEvent:
				order = append(order, fmt.Sprintf("b%d@v%d", e.Step, e.Version))
			case *trainer.ConfigEvent:
				order = append(order, fmt.Sprintf("c@v%d", e.Version))
			}
		}
		want := []string{"c@v1", "b1@v1", "b2@v1", "b3@v1", "b4@v1", "b5@v1", "c@v2", "b6@v2", "b7@v2"}
		if !slices.Equal(order, want) {
			t.Fatalf("events %v, want %v", order, want)
		}
	})
	t.Run("two changes before the client took either", func(t *testing.T) {
		rec := &recorder{}
		s := New(Options{Sink: rec})
		ingest(t, s, request("job", true, versioned(1, 1)))
		e1, _ := s.Apply(trainer.Change{M: ptr(3)})
		e2, _ := s.Apply(trainer.Change{M: ptr(1)})
		ingest(t, s, request("job", false, versioned(2, 1), versioned(3, e2.Version)))
		c1, c2 := changeAt(t, rec, e1.Version), changeAt(t, rec, e2.Version)
		if c1 == nil || c2 == nil || c1.Step != 3 || c2.Step != 3 {
			t.Fatalf("changes %+v %+v: want both at step 3", c1, c2)
		}
	})
	t.Run("client without versions", func(t *testing.T) {
		rec := &recorder{}
		s := New(Options{Sink: rec})
		ingest(t, s, request("job", true, batchJSON(1), batchJSON(2)))
		ev, _ := s.Apply(trainer.Change{M: ptr(3)})
		if c := changeAt(t, rec, ev.Version); c == nil || c.Step != 3 {
			t.Fatalf("change %+v: want it at once, at step 3", c)
		}
	})
	t.Run("pause and stop", func(t *testing.T) {
		rec := &recorder{}
		s := New(Options{Sink: rec})
		ingest(t, s, request("job", true, versioned(1, 1), versioned(2, 1)))
		e1, _ := s.Apply(trainer.Change{M: ptr(3)})
		s.Pause()
		if c := changeAt(t, rec, e1.Version); c == nil || c.Step != 3 {
			t.Fatalf("after pause, change %+v: want it at step 3", c)
		}
		e2, _ := s.Apply(trainer.Change{M: ptr(1)})
		if c := changeAt(t, rec, e2.Version); c == nil || c.Step != 3 {
			t.Fatalf("change while paused %+v: want it at once, at step 3", c)
		}
		if err := s.Resume(); err != nil {
			t.Fatal(err)
		}
		e3, _ := s.Apply(trainer.Change{M: ptr(2)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		cancel()
		<-done
		if c := changeAt(t, rec, e3.Version); c == nil || c.Step != 3 {
			t.Fatalf("change held at shutdown %+v: want it published at step 3", c)
		}
	})
}

package store

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
)

func TestRecorderRuns(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{Now: fixedClock()})
	defer rec.Close()

	// Before any reset config events are not stored.
	rec.Publish(fakeBatch(0, 0, 1))
	rec.Publish(&trainer.StatusEvent{State: trainer.StateRunning})
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	if st := rec.Stats(); st.Unattached != 2 || st.RunID != 0 {
		t.Fatalf("stats before a run: %+v", st)
	}

	// Two resets in a row without data reuse one run.
	cfgA, cfgB, cfgC := testConfig(1), testConfig(2), testConfig(3)
	rec.Publish(&trainer.ConfigEvent{Version: 1, Config: cfgA, Reset: true})
	rec.Publish(&trainer.ConfigEvent{Version: 2, Config: cfgB, Reset: true})
	for step := int64(1); step <= 3; step++ {
		rec.Publish(fakeBatch(1, 0, step))
	}
	rec.Publish(&trainer.StatusEvent{State: trainer.StateDiverged, Reason: "loss is NaN", Step: 3})
	// A reset after data starts a new run and finishes the old one.
	publishRun(rec, 2, cfgC, 4, 2)
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	// Other event kinds and nil events are ignored.
	rec.Publish(nil)
	rec.Publish((*trainer.BatchEvent)(nil))

	runs, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("List: %d runs, want 2: %+v", len(runs), runs)
	}
	first, second := runs[1], runs[0]
	if first.Status != StatusDiverged || first.Finished == nil || first.Summary.Reason != "loss is NaN" {
		t.Errorf("first run: %+v", first)
	}
	if second.Status != StatusRunning || second.Finished != nil || second.ID != rec.RunID() {
		t.Errorf("second run: %+v (recorder at %d)", second, rec.RunID())
	}
	r1, err := s.Get(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Config.Seed != 2 || len(r1.Metrics) != 3 {
		t.Errorf("first run: seed %d, %d metrics; want the second reset's seed 2 and 3 metrics", r1.Config.Seed, len(r1.Metrics))
	}
	r2, err := s.Get(second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Config.Seed != 3 || len(r2.Metrics) != 8 || len(r2.Evals) != 4 {
		t.Errorf("second run: seed %d, %d metrics, %d evals", r2.Config.Seed, len(r2.Metrics), len(r2.Evals))
	}
	if want := "circle · topk M=8 lr=0.1 vs random · noise 0.1 · seed 3"; r2.Name != want {
		t.Errorf("default name %q, want %q", r2.Name, want)
	}
	if r2.Created.Before(r1.Created) {
		t.Errorf("created %v before %v", r2.Created, r1.Created)
	}
}

func TestRecorderNonFinite(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{})
	rec.Publish(&trainer.ConfigEvent{Version: 1, Config: testConfig(1), Reset: true})
	b := fakeBatch(1, 0, 1)
	b.BatchLoss, b.SelLoss = math.NaN(), math.Inf(1)
	b.Quantiles[4] = float32(math.Inf(1))
	rec.Publish(b)
	e := fakeEval(1, 0, 1)
	e.TestLoss = math.NaN()
	e.PerClass[1] = math.NaN()
	rec.Publish(e)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	runs, err := s.List()
	if err != nil || len(runs) != 1 {
		t.Fatalf("List: %v, %v", runs, err)
	}
	r, err := s.Get(runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	m, ev := r.Metrics[0], r.Evals[0]
	if !math.IsNaN(m.BatchLoss) || !math.IsNaN(m.SelLoss) || !math.IsNaN(m.Q[4]) || m.Q[0] != float64(b.Quantiles[0]) {
		t.Errorf("metric = %+v", m)
	}
	if !math.IsNaN(ev.TestLoss) || !math.IsNaN(ev.PerClass[1]) || ev.PerClass[0] != e.PerClass[0] {
		t.Errorf("eval = %+v", ev)
	}
	if r.Summary.Arms[0].BatchLoss != nil || r.Summary.Arms[0].TestLoss != nil {
		t.Errorf("summary keeps non-finite values: %+v", r.Summary.Arms[0])
	}
}

func TestRecorderDropsWhenFull(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	// A long flush interval keeps the writer idle while the queue fills.
	rec := s.NewRecorder(RecorderOptions{FlushEvery: time.Hour, FlushRows: 1 << 20, MaxPending: 10})
	rec.Publish(&trainer.ConfigEvent{Version: 1, Config: testConfig(1), Reset: true})
	waitRuns(t, s, 1) // a reset is written at once; then the writer idles
	for step := int64(1); step <= 25; step++ {
		rec.Publish(fakeBatch(1, 0, step))
	}
	// Rare events are never dropped.
	rec.Publish(fakeEval(1, 0, 25))
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	if st.Dropped != 15 || st.Published != 12 || st.Written != 11 {
		t.Errorf("stats = %+v; want 15 dropped, 12 published, 11 written", st)
	}
	r, err := s.Get(rec.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Metrics) != 10 || len(r.Evals) != 1 || r.Summary.Dropped != 15 {
		t.Errorf("%d metrics, %d evals, summary dropped %d", len(r.Metrics), len(r.Evals), r.Summary.Dropped)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rec.Publish(fakeBatch(1, 0, 26))
	if st := rec.Stats(); st.Dropped != 16 {
		t.Errorf("publish after Close: dropped %d, want 16", st.Dropped)
	}
	if err := rec.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRecorderWritesWithoutFlush(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{FlushEvery: 10 * time.Millisecond})
	defer rec.Close()
	publishRun(rec, 1, testConfig(1), 5, 0)
	deadline := time.Now().Add(10 * time.Second)
	for rec.Stats().Written < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("background writer wrote %d rows in 10 s", rec.Stats().Written)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRecorderWriteError(t *testing.T) {
	s, _ := openTemp(t)
	var got []error
	rec := s.NewRecorder(RecorderOptions{OnError: func(err error) { got = append(got, err) }})
	rec.Publish(&trainer.ConfigEvent{Version: 1, Config: testConfig(1), Reset: true})
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DROP TABLE metrics`); err != nil {
		t.Fatal(err)
	}
	rec.Publish(fakeBatch(1, 0, 1))
	err := rec.Flush()
	if err == nil {
		t.Fatal("write into a dropped table succeeded")
	}
	st := rec.Stats()
	if st.Failed != 1 || st.LastError == nil || len(got) != 1 || st.RunID == 0 {
		t.Errorf("after a failed write: %+v, OnError calls %d", st, len(got))
	}
	rec.Close()
	s.Close()
}

func TestInterruptedStatus(t *testing.T) {
	s, dir := openTemp(t)
	rec := s.NewRecorder(RecorderOptions{})
	publishRun(rec, 1, testConfig(1), 2, 0)
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	id := rec.RunID()
	if info, err := s.Info(id); err != nil || info.Status != StatusRunning {
		t.Fatalf("live run: %+v, %v", info, err)
	}
	// Another process (a second Store) sees a running run as interrupted
	// once its heartbeat is older than StaleAfter.
	other, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.now = func() time.Time { return time.Now().Add(StaleAfter + time.Second) }
	if info, err := other.Info(id); err != nil || info.Status != StatusInterrupted {
		t.Errorf("stale run seen from another process: %+v, %v", info, err)
	}
	// This process knows its own recorder is alive.
	s.now = other.now
	if info, err := s.Info(id); err != nil || info.Status != StatusRunning {
		t.Errorf("own live run: %+v, %v", info, err)
	}
	rec.Close()
	s.Close()
}

// TestRecorderWritesResetAtOnce checks that a reset (a new run) is written
// without waiting for the periodic flush, so run lists show it at once,
// while batch events still wait for it.
func TestRecorderWritesResetAtOnce(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{FlushEvery: time.Hour})
	defer rec.Close()
	rec.Publish(&trainer.ConfigEvent{Version: 1, Config: testConfig(1), Reset: true})
	if runs := waitRuns(t, s, 1); runs[0].Status != StatusRunning {
		t.Errorf("new run has status %q, want %q", runs[0].Status, StatusRunning)
	}
	rec.Publish(fakeBatch(1, 0, 1))
	time.Sleep(100 * time.Millisecond)
	r, err := s.Get(rec.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Metrics) != 0 {
		t.Errorf("a batch event was written before the flush period (%d metrics)", len(r.Metrics))
	}
}

// waitRuns waits up to 10 s for the store to list n runs and returns them.
func waitRuns(t *testing.T, s *Store, n int) []RunInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runs, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) == n {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("store lists %d runs after 10 s, want %d", len(runs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDefaultName names runs by what differs from the dataset's preset.
func TestDefaultName(t *testing.T) {
	mnist := trainer.DefaultConfig("mnist")
	ab := mnist
	ab.Arms = append(append([]trainer.ArmConfig(nil), mnist.Arms...), trainer.ArmConfig{Name: "random", Select: ohem.Params{Strategy: "random", M: 32}, LR: 0.1})
	ab.Data.LabelNoise = 0.1
	lr := mnist
	lr.Arms = []trainer.ArmConfig{mnist.Arms[0]}
	lr.Arms[0].LR = 0.05
	lr.K = 64
	lr.Seed = 7
	for _, tt := range []struct {
		cfg  trainer.Config
		want string
	}{
		{mnist, "mnist · topk M=32 · seed 1"},
		{ab, "mnist · topk M=32 vs random · noise 0.1 · seed 1"},
		{lr, "mnist · topk M=32 lr=0.05 · K=64 · seed 7"},
	} {
		if got := DefaultName(tt.cfg); got != tt.want {
			t.Errorf("DefaultName = %q, want %q", got, tt.want)
		}
	}
}

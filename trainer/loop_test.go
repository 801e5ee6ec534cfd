package trainer

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// sameBatch reports whether two batch events agree on everything but the
// arm and the timings.
func sameBatch(a, b *BatchEvent) bool {
	x, y := *a, *b
	x.Arm, y.Arm = 0, 0
	x.StepSeconds, y.StepSeconds = 0, 0
	x.WallSeconds, y.WallSeconds = 0, 0
	return reflect.DeepEqual(x, y)
}

func TestDeterminism(t *testing.T) {
	for _, name := range []string{data.Circle, data.Spiral} {
		cfg := withArms(plane(name), sel(ohem.Random, 8), sel(ohem.Selective, 8))
		_, r1 := run(t, cfg, 60)
		_, r2 := run(t, cfg, 60)
		b1, b2 := r1.batches(-1), r2.batches(-1)
		if len(b1) != 120 || len(b2) != 120 {
			t.Fatalf("%s: %d and %d batch events, want 120", name, len(b1), len(b2))
		}
		for i := range b1 {
			if !sameBatch(b1[i], b2[i]) {
				t.Fatalf("%s: event %d differs between two runs with the same seed", name, i)
			}
		}
		e1, e2 := r1.evals(0), r2.evals(0)
		if len(e1) == 0 || e1[len(e1)-1].TestLoss != e2[len(e2)-1].TestLoss {
			t.Fatalf("%s: final evaluations differ or are missing", name)
		}
	}
}

func TestTwoArmsSameConfigIdentical(t *testing.T) {
	for _, s := range []string{ohem.TopK, ohem.Random, ohem.Selective} {
		cfg := withArms(plane(data.Moons), sel(s, 8), sel(s, 8))
		_, rec := run(t, cfg, 50)
		a0, a1 := rec.batches(0), rec.batches(1)
		if len(a0) != 50 || len(a1) != 50 {
			t.Fatalf("%s: %d and %d events, want 50 each", s, len(a0), len(a1))
		}
		for i := range a0 {
			if !sameBatch(a0[i], a1[i]) {
				t.Fatalf("%s: step %d: arms with the same config differ", s, i+1)
			}
		}
		e0, e1 := rec.evals(0), rec.evals(1)
		if len(e0) == 0 || !reflect.DeepEqual(e0[len(e0)-1].Confusion, e1[len(e1)-1].Confusion) {
			t.Fatalf("%s: final evaluations differ", s)
		}
	}
}

func TestArmsSeeIdenticalIDs(t *testing.T) {
	cfg := withArms(plane(data.XOR), sel(ohem.TopK, 8), sel(ohem.All, 8))
	cfg.Data.LabelNoise = 0.2
	cfg.K = 48 // 320 training points: epochs of 6 batches, the rest dropped
	_, rec := run(t, cfg, 40)
	a0, a1 := rec.batches(0), rec.batches(1)
	if len(a0) != 40 || len(a1) != 40 {
		t.Fatalf("%d and %d events, want 40 each", len(a0), len(a1))
	}
	perEpoch := map[int32]int{}
	for i := range a0 {
		if !reflect.DeepEqual(a0[i].IDs, a1[i].IDs) || !reflect.DeepEqual(a0[i].Labels, a1[i].Labels) {
			t.Fatalf("step %d: arms saw different examples", i+1)
		}
		if len(a0[i].IDs) != 48 || a0[i].Step != int64(i+1) || a1[i].Step != int64(i+1) {
			t.Fatalf("step %d: %d ids, steps %d/%d", i+1, len(a0[i].IDs), a0[i].Step, a1[i].Step)
		}
		if len(a0[i].Flipped) != 48 {
			t.Fatalf("step %d: no flipped marks with label noise", i+1)
		}
		if i < 6 {
			for _, id := range a0[i].IDs {
				perEpoch[id]++
			}
		}
		if len(a1[i].Selected) != 48 || len(a0[i].Selected) != 8 {
			t.Fatalf("step %d: selected %d and %d", i+1, len(a0[i].Selected), len(a1[i].Selected))
		}
	}
	if len(perEpoch) != 6*48 {
		t.Fatalf("first epoch repeated examples: %d distinct of %d", len(perEpoch), 6*48)
	}
}

func TestBatchEventFields(t *testing.T) {
	cfg := plane(data.Circle)
	cfg.Data.LabelNoise = 0.3
	tr, rec := run(t, cfg, 20)
	evs := rec.batches(0)
	if len(evs) != 20 {
		t.Fatalf("%d events, want 20", len(evs))
	}
	set, _ := tr.dataset()
	var seen, back int64
	for i, ev := range evs {
		k := cfg.K
		if ev.Step != int64(i+1) || ev.Version != 1 || ev.K != k || ev.M != 8 || ev.Strategy != ohem.TopK || ev.Exec != ExecTwoPass {
			t.Fatalf("event %d: header %+v", i, ev)
		}
		for _, l := range [][]int{{len(ev.IDs), len(ev.Labels), len(ev.Preds), len(ev.Losses), len(ev.TrueProb), len(ev.Flipped)}} {
			for _, n := range l {
				if n != k {
					t.Fatalf("event %d: per-example slice of length %d, want %d", i, n, k)
				}
			}
		}
		if len(ev.Selected) != 8 || len(ev.Weights) != 8 {
			t.Fatalf("event %d: %d selected, %d weights", i, len(ev.Selected), len(ev.Weights))
		}
		if len(ev.XY) != 2*k {
			t.Fatalf("event %d: %d point coordinates, want %d", i, len(ev.XY), 2*k)
		}
		for j, id := range ev.IDs {
			if ev.XY[2*j] != set.TrainX[2*id] || ev.XY[2*j+1] != set.TrainX[2*id+1] {
				t.Fatalf("event %d: point %d is (%v, %v), want example %d's", i, j, ev.XY[2*j], ev.XY[2*j+1], id)
			}
		}
		sum, kept, total, flipped := 0.0, 0.0, 0.0, 0
		minKept := float32(1e30)
		for j, s := range ev.Selected {
			sum += float64(ev.Weights[j])
			kept += float64(ev.Losses[s])
			minKept = min(minKept, ev.Losses[s])
			if ev.Flipped[s] {
				flipped++
			}
		}
		for j, l := range ev.Losses {
			total += float64(l)
			if ev.Labels[j] != set.TrainY[ev.IDs[j]] || ev.Flipped[j] != set.Flipped[ev.IDs[j]] {
				t.Fatalf("event %d: example %d label or flip mark does not match the set", i, j)
			}
			if p := float64(ev.TrueProb[j]); p < 0 || p > 1 {
				t.Fatalf("event %d: probability %v", i, p)
			}
		}
		if d := sum - 1; d > 1e-5 || d < -1e-5 {
			t.Fatalf("event %d: weights sum to %v", i, sum)
		}
		if q := ev.Quantiles; q[0] > q[1] || q[1] > q[2] || q[2] > q[3] || q[3] > q[4] || q[4] > minKept+1e30 || q[4] < minKept {
			t.Fatalf("event %d: quantiles %v, smallest kept %v", i, q, minKept)
		}
		near := func(a, b float64) bool { return a-b < 1e-4 && b-a < 1e-4 }
		if !near(ev.BatchLoss, total/float64(k)) || !near(ev.SelLoss, kept/8) || !near(ev.KeptShare, kept/total) || !near(ev.SelFlippedShare, float64(flipped)/8) {
			t.Fatalf("event %d: summary figures %v %v %v %v", i, ev.BatchLoss, ev.SelLoss, ev.KeptShare, ev.SelFlippedShare)
		}
		seen += int64(k)
		back += 8
		if ev.ExamplesSeen != seen || ev.ExamplesBackprop != back || ev.StepSeconds <= 0 || ev.WallSeconds < ev.StepSeconds {
			t.Fatalf("event %d: counters %d %d %v %v", i, ev.ExamplesSeen, ev.ExamplesBackprop, ev.StepSeconds, ev.WallSeconds)
		}
	}
	evals := rec.evals(0)
	if len(evals) != 1 || evals[0].Step != 20 {
		t.Fatalf("want one final evaluation at step 20, got %d", len(evals))
	}
	ev := evals[0]
	if ev.Surface == nil || ev.Surface.W != 64 || ev.Surface.H != 64 || len(ev.Surface.Prob) != 64*64 {
		t.Fatal("2-D evaluation without a 64x64 surface")
	}
	n := 0
	for y, row := range ev.Confusion {
		for _, v := range row {
			n += v
		}
		if ev.PerClass[y] < 0 || ev.PerClass[y] > 1 {
			t.Fatalf("per-class accuracy %v", ev.PerClass)
		}
	}
	if n != set.NumTest() || ev.TestAccuracy < 0 || ev.TestAccuracy > 1 || ev.TrainLoss <= 0 {
		t.Fatalf("confusion counts %d of %d test examples; accuracy %v train loss %v", n, set.NumTest(), ev.TestAccuracy, ev.TrainLoss)
	}
	st := rec.statuses()
	if len(st) != 2 || st[0].State != StateRunning || st[1].State != StateStopped {
		t.Fatalf("statuses %+v, want running then stopped", st)
	}
}

func TestEvalEvery(t *testing.T) {
	cfg := plane(data.Gauss)
	cfg.EvalEvery = 7
	_, rec := run(t, cfg, 30)
	var steps []int64
	for _, e := range rec.evals(0) {
		steps = append(steps, e.Step)
	}
	if want := []int64{7, 14, 21, 28, 30}; !reflect.DeepEqual(steps, want) {
		t.Fatalf("evaluations at steps %v, want %v", steps, want)
	}
}

func TestLiveChangeAppliesAtNextBatch(t *testing.T) {
	cfg := withArms(plane(data.Circle), sel(ohem.TopK, 8), sel(ohem.Random, 8))
	rec := &recorder{}
	var tr *Trainer
	var applied *ConfigEvent
	rec.hook = func(e Event) {
		if b, ok := e.(*BatchEvent); ok && b.Arm == 1 && b.Step == 5 {
			k, m, s := 40, 4, ohem.Selective
			ev, err := tr.Apply(Change{Arm: 1, K: &k, M: &m, Strategy: &s})
			if err != nil {
				t.Error(err)
				return
			}
			applied = ev
		}
	}
	tr, err := New(cfg, Options{Sink: rec, MaxSteps: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if applied == nil {
		t.Fatal("change not applied")
	}
	if applied.Version != 2 || applied.Step != 6 || !reflect.DeepEqual(applied.Changed, []string{"k", "arms[1].strategy", "arms[1].m", "arms[1].name"}) {
		t.Fatalf("config event %+v", applied)
	}
	if cs := rec.configs(); len(cs) != 1 || cs[0].Version != 2 {
		t.Fatalf("published config events %+v", cs)
	}
	for _, b := range rec.batches(-1) {
		wantK, wantV, wantS, wantM := 32, int64(1), []string{ohem.TopK, ohem.Random}[b.Arm], 8
		if b.Step > 5 {
			wantK, wantV = 40, 2
			if b.Arm == 1 {
				wantS, wantM = ohem.Selective, 4
			}
		}
		if b.K != wantK || len(b.IDs) != wantK || b.Version != wantV || b.Strategy != wantS || b.M != wantM {
			t.Fatalf("arm %d step %d: k %d version %d strategy %s m %d; want %d %d %s %d", b.Arm, b.Step, b.K, b.Version, b.Strategy, b.M, wantK, wantV, wantS, wantM)
		}
	}
	if st := tr.State(); st.Version != 2 || st.Config.K != 40 || st.Config.Arms[1].Select.Strategy != ohem.Selective || st.Arms[1].Name != ohem.Selective {
		t.Fatalf("state after change: %+v", st)
	}
}

func TestInvalidChangesRejected(t *testing.T) {
	ip := func(v int) *int { return &v }
	fp := func(v float64) *float64 { return &v }
	sp := func(v string) *string { return &v }
	nan, inf := 0.0, 0.0
	nan, inf = nan/nan, 1/inf
	cases := []struct {
		name string
		ch   Change
		want string // the FieldError's Field
	}{
		{"m > k", Change{M: ip(33)}, "m"},
		{"m < 1", Change{M: ip(0)}, "m"},
		{"k < 1", Change{K: ip(0)}, "k"},
		{"k > train", Change{K: ip(100000)}, "k"},
		{"k below m", Change{K: ip(4)}, "m"},
		{"lr nan", Change{LR: fp(nan)}, "lr"},
		{"lr inf", Change{LR: fp(inf)}, "lr"},
		{"lr zero", Change{LR: fp(0)}, "lr"},
		{"lr negative", Change{LR: fp(-1)}, "lr"},
		{"lr huge", Change{LR: fp(101)}, "lr"},
		{"strategy", Change{Strategy: sp("hardest")}, "strategy"},
		{"thresh", Change{Thresh: fp(1.5)}, "thresh"},
		{"beta", Change{Beta: fp(-2)}, "beta"},
		{"neg_pos", Change{NegPos: fp(nan)}, "neg_pos"},
		{"min_kept", Change{MinKept: ip(-1)}, "min_kept"},
		{"arm", Change{Arm: 1, LR: fp(0.1)}, "arm"},
		{"arm negative", Change{Arm: -1}, "arm"},
		{"ratio zero", Change{Ratio: fp(0)}, "ratio"},
		{"ratio big", Change{Ratio: fp(1.5)}, "ratio"},
		{"exec", Change{Exec: sp("gpu")}, "exec"},
		{"exec empty", Change{Exec: sp("")}, "exec"},
		{"strategy empty", Change{Strategy: sp("")}, "strategy"},
		{"focal gamma", Change{FocalGamma: fp(-1)}, "focal_gamma"},
		{"focal alpha", Change{FocalAlpha: fp(1)}, "focal_alpha"},
		{"speed", Change{SpeedCap: fp(-1)}, "speed_cap"},
		{"speed nan", Change{SpeedCap: fp(nan)}, "speed_cap"},
		{"eval", Change{EvalEvery: ip(0)}, "eval_every"},
		{"one bad among good", Change{M: ip(4), LR: fp(-1)}, "lr"},
	}
	tr, err := New(plane(data.Circle), Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := tr.State()
	for _, c := range cases {
		ev, err := tr.Apply(c.ch)
		if err == nil || ev != nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if fe := experiment.AsFieldError(err); fe == nil || fe.Field != c.want || fe.Want == "" {
			t.Errorf("%s: error %q does not name %q and the allowed range", c.name, err, c.want)
		}
	}
	if after := tr.State(); !reflect.DeepEqual(before, after) {
		t.Fatalf("rejected changes changed the state:\n%+v\n%+v", before, after)
	}
	// Valid ones: ratio sets M from K; a no-op keeps the version.
	ev, err := tr.Apply(Change{Ratio: fp(0.5)})
	if err != nil || ev.Config.Arms[0].Select.M != 16 || ev.Version != 2 {
		t.Fatalf("ratio 0.5 of 32: %+v, %v", ev, err)
	}
	ev, err = tr.Apply(Change{M: ip(16)})
	if err != nil || ev.Version != 2 || len(ev.Changed) != 0 {
		t.Fatalf("no-op change: %+v, %v", ev, err)
	}
}

func TestPauseStepResumeEval(t *testing.T) {
	rec := &recorder{}
	tr, stop := start(t, plane(data.XOR), Options{Sink: rec, Paused: true})
	defer stop()
	waitFor(t, "paused status", func() bool { s := rec.statuses(); return len(s) > 0 && s[0].State == StatePaused })
	if n := len(rec.batches(0)); n != 0 {
		t.Fatalf("%d batches while paused", n)
	}
	for i := 0; i < 3; i++ {
		if err := tr.StepOnce(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three single steps", func() bool { return len(rec.batches(0)) == 3 })
	tr.RequestEval()
	waitFor(t, "requested evaluation", func() bool { return len(rec.evals(0)) == 1 })
	if ev := rec.evals(0)[0]; ev.Step != 3 {
		t.Fatalf("evaluation at step %d, want 3", ev.Step)
	}
	if st := tr.State(); st.Status != StatePaused || st.Step != 3 || st.Arms[0].Step != 3 || st.Arms[0].LastEval == nil {
		t.Fatalf("state %+v", st)
	}
	if err := tr.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", func() bool { return len(rec.batches(0)) > 10 })
	if err := tr.StepOnce(); err == nil {
		t.Fatal("single step accepted while running")
	}
	tr.Pause()
	waitFor(t, "paused again", func() bool { return tr.State().Status == StatePaused })
	n := len(rec.batches(0))
	waitFor(t, "paused status event", func() bool { s := rec.statuses(); return s[len(s)-1].State == StatePaused })
	if m := len(rec.batches(0)); m > n+1 {
		t.Fatalf("%d batches after pause", m-n)
	}
}

func TestDivergencePausesAndRecovers(t *testing.T) {
	cfg := DefaultConfig(data.MNIST)
	cfg.Arms[0].LR = 50
	rec := &recorder{}
	tr, stop := start(t, cfg, Options{Sink: rec})
	defer stop()
	waitFor(t, "divergence", func() bool { return tr.State().Status == StateDiverged })
	st := tr.State()
	if !strings.Contains(st.Reason, "arm 0") || !strings.Contains(st.Reason, "step") || !strings.Contains(st.Reason, "lr 50") {
		t.Fatalf("reason %q does not name the arm, the step and the learning rate", st.Reason)
	}
	waitFor(t, "diverged status event", func() bool {
		s := rec.statuses()
		return s[len(s)-1].State == StateDiverged && s[len(s)-1].Reason == st.Reason
	})
	t.Logf("reason: %s", st.Reason)
	steps := len(rec.batches(0))
	lr := 0.05
	if _, err := tr.Apply(Change{LR: &lr}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "training after resume", func() bool { return len(rec.batches(0)) >= steps+30 })
	tr.Pause()
	if s := tr.State(); s.Status == StateDiverged {
		t.Fatalf("diverged again after lowering the rate: %s", s.Reason)
	}
	evs := rec.batches(0)
	for _, ev := range evs[steps:] {
		if ev.BatchLoss != ev.BatchLoss || ev.BatchLoss > 1e6 {
			t.Fatalf("step %d after resume: batch loss %v", ev.Step, ev.BatchLoss)
		}
	}
}

func TestReset(t *testing.T) {
	rec := &recorder{}
	tr, stop := start(t, plane(data.Circle), Options{Sink: rec})
	defer stop()
	waitFor(t, "some steps", func() bool { return tr.State().Step >= 20 })
	bad := plane(data.Moons)
	bad.K = 0
	bad.Arms[0].LR = -1
	before := tr.State()
	if err := tr.Reset(bad); experiment.AsFieldError(err) == nil || experiment.AsFieldError(err).Field != "lr" {
		t.Fatalf("bad reset config: %v", err)
	}
	if s := tr.State(); s.Version != before.Version || s.Dataset.Generation != before.Dataset.Generation {
		t.Fatal("rejected reset changed the state")
	}
	next := withArms(plane(data.Moons), sel(ohem.TopK, 8), sel(ohem.All, 8))
	if err := tr.Reset(next); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reset config event", func() bool { c := rec.configs(); return len(c) == 1 })
	ce := rec.configs()[0]
	if !ce.Reset || ce.Step != 1 || ce.Config.Data.Name != data.Moons || len(ce.Config.Arms) != 2 {
		t.Fatalf("reset config event %+v", ce)
	}
	s := tr.State()
	if s.Dataset.Name != data.Moons || s.Dataset.Generation != before.Dataset.Generation+1 || s.Version <= before.Version || len(s.Arms) != 2 {
		t.Fatalf("state after reset %+v", s)
	}
	waitFor(t, "steps of the new run", func() bool {
		for _, b := range rec.batches(1) {
			if b.Version == ce.Version && b.Step >= 5 {
				return true
			}
		}
		return false
	})
	for _, b := range rec.batches(-1) {
		if b.Version == ce.Version && b.Step == 1 && b.ExamplesSeen != int64(b.K) {
			t.Fatalf("new run's first step has counters %d", b.ExamplesSeen)
		}
	}
}

func TestSpeedCapHonoursControls(t *testing.T) {
	cfg := plane(data.Gauss)
	cfg.SpeedCap = 0.5 // one step every two seconds
	rec := &recorder{}
	tr, stop := start(t, cfg, Options{Sink: rec})
	waitFor(t, "first step", func() bool { return len(rec.batches(0)) == 1 })
	tr.Pause()
	waitFor(t, "pause under a speed cap", func() bool { return tr.State().Status == StatePaused })
	capOff := 0.0
	if _, err := tr.Apply(Change{SpeedCap: &capOff}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "uncapped steps", func() bool { return len(rec.batches(0)) > 20 })
	stop()
	if s := tr.State().Status; s != StateStopped {
		t.Fatalf("status %s after stop", s)
	}
	if err := tr.Resume(); err != ErrStopped {
		t.Fatalf("resume after stop: %v", err)
	}
}

func TestResetSameConfigRestarts(t *testing.T) {
	rec := &recorder{}
	cfg := plane(data.Spiral)
	tr, stop := start(t, cfg, Options{Sink: rec, Paused: true})
	defer stop()
	for i := 0; i < 3; i++ {
		if err := tr.StepOnce(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "three steps", func() bool { return len(rec.batches(0)) == 3 })
	if err := tr.Reset(tr.State().Config); err != nil {
		t.Fatal(err)
	}
	if err := tr.StepOnce(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a step after the reset", func() bool { return len(rec.batches(0)) == 4 })
	evs := rec.batches(0)
	first, again := evs[0], evs[3]
	if again.Step != 1 || again.Version != 2 || again.ExamplesSeen != int64(again.K) {
		t.Fatalf("after reset: step %d version %d seen %d", again.Step, again.Version, again.ExamplesSeen)
	}
	if !reflect.DeepEqual(first.IDs, again.IDs) || !reflect.DeepEqual(first.Losses, again.Losses) {
		t.Fatal("a reset with the same config and seed does not restart from the same weights and batches")
	}
	if reflect.DeepEqual(evs[2].Losses, again.Losses) {
		t.Fatal("reset kept the trained weights")
	}
	if st := tr.State(); st.Status != StatePaused || st.Step != 1 || st.Dataset.Generation != 2 {
		t.Fatalf("state after reset %+v", st)
	}
	if cs := rec.configs(); len(cs) != 1 || !cs[0].Reset || len(cs[0].Changed) != 0 {
		t.Fatalf("config events %+v", cs)
	}
}

func TestNaNWeightsNeverPublished(t *testing.T) {
	rec := &recorder{}
	tr, err := New(plane(data.Circle), Options{Sink: rec, Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	a := tr.cur.arms[0]
	nan := float32(0)
	a.model.Values()[2][5] = nan / nan
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	tr.RequestEval()
	waitFor(t, "divergence from NaN weights", func() bool { return tr.State().Status == StateDiverged })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(rec.evals(0)); n != 0 {
		t.Fatalf("%d evaluations of NaN weights published", n)
	}
	if ok, _ := a.model.Finite(); !ok {
		t.Fatal("weights not restored")
	}
	if r := tr.State().Reason; !strings.Contains(r, "layer 2 weights") || !strings.Contains(r, "arm 0") {
		t.Fatalf("reason %q", r)
	}
}

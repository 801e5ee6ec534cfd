package trainer

import (
	"math"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// testSession builds a session for cfg without a trainer.
func testSession(t testing.TB, cfg Config) *session {
	t.Helper()
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	set, err := data.Load(cfg.Data, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newSession(cfg, set, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	return e
}

// stepAll trains every arm of e on the next batch.
func stepAll(t testing.TB, e *session) []*BatchEvent {
	t.Helper()
	b := e.nextBatch()
	e.step++
	var evs []*BatchEvent
	for _, a := range e.arms {
		ev, err := a.step(b, e.step, e.version)
		if err != nil {
			t.Fatalf("arm %d step %d: %v", a.idx, e.step, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// maxDiff returns the largest absolute difference of two equal-length
// slices.
func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func TestExecEquivalence(t *testing.T) {
	mnist := DefaultConfig(data.MNIST)
	thr := sel(ohem.Threshold, 4)
	thr.Select.Thresh = 0.5
	focal := func(a ArmConfig, exec string) ArmConfig {
		a.Exec, a.FocalGamma, a.FocalAlpha = exec, 2, 0.25
		return a
	}
	exec := func(a ArmConfig, e string) ArmConfig { a.Exec = e; return a }
	cases := []struct {
		name   string
		cfg    Config
		steps  int
		padded bool
	}{
		{"circle topk twopass=mask", withArms(plane(data.Circle), exec(sel(ohem.TopK, 8), ExecTwoPass), exec(sel(ohem.TopK, 8), ExecMask)), 5, false},
		{"circle focal twopass=mask", withArms(plane(data.Circle), focal(sel(ohem.TopK, 8), ExecTwoPass), focal(sel(ohem.TopK, 8), ExecMask)), 5, false},
		{"moons threshold padded twopass=mask", withArms(plane(data.Moons), exec(thr, ExecTwoPass), exec(thr, ExecMask)), 10, true},
		{"xor topk M=K = all", withArms(plane(data.XOR), sel(ohem.TopK, 32), sel(ohem.All, 32)), 5, false},
		{"xor topk M=K mask = all", withArms(plane(data.XOR), exec(sel(ohem.TopK, 32), ExecMask), sel(ohem.All, 32)), 5, false},
		{"mnist topk twopass=mask", withArms(mnist, exec(sel(ohem.TopK, 32), ExecTwoPass), exec(sel(ohem.TopK, 32), ExecMask)), 2, false},
		{"mnist topk M=K = all", withArms(mnist, sel(ohem.TopK, 128), sel(ohem.All, 128)), 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testSession(t, c.cfg)
			init := params(e.arms[0])
			if d := maxDiff(init, params(e.arms[1])); d != 0 {
				t.Fatalf("arms start from different weights: max diff %g", d)
			}
			varying := false
			for s := 1; s <= c.steps; s++ {
				evs := stepAll(t, e)
				if n := len(evs[0].Selected); n != evs[0].M && n != evs[0].K {
					varying = true
				}
				p0, p1 := params(e.arms[0]), params(e.arms[1])
				if d := maxDiff(p0, p1); d > 1e-5 {
					t.Fatalf("step %d: parameters differ by %g > 1e-5", s, d)
				}
				if d := maxDiff(evs[0].Losses, evs[1].Losses); d > 1e-5 {
					t.Fatalf("step %d: losses differ by %g", s, d)
				}
			}
			if c.padded && !varying {
				t.Fatal("no step selected a count other than M or K: padding untested")
			}
			if d := maxDiff(init, params(e.arms[0])); d < 1e-4 {
				t.Fatalf("training did not move the parameters (max change %g)", d)
			}
		})
	}
}

// TestGraphLossMatchesGo checks that the training graph's cost is the
// weighted sum of the per-example losses the step computes in Go, for
// plain cross-entropy and focal loss with alpha.
func TestGraphLossMatchesGo(t *testing.T) {
	for _, ls := range []struct{ gamma, alpha float64 }{{0, 0}, {2, 0}, {0.5, 0.25}, {2, 0.75}} {
		cfg := plane(data.Gauss)
		cfg.Arms[0].FocalGamma, cfg.Arms[0].FocalAlpha = ls.gamma, ls.alpha
		e := testSession(t, cfg)
		a := e.arms[0]
		b := e.nextBatch()
		k, c := len(b.ids), e.set.Classes
		fg, err := a.forward(k)
		if err != nil {
			t.Fatal(err)
		}
		fillAll(fg.X, b)
		logp := make([]float32, k*c)
		if _, err := fg.Run(logp); err != nil {
			t.Fatal(err)
		}
		fg.Reset()
		losses, probs, preds := make([]float64, k), make([]float64, k), make([]int32, k)
		exampleLosses(losses, probs, preds, logp, b.labels, c, ls.gamma, ls.alpha)
		tg, err := a.trainGraph(k)
		if err != nil {
			t.Fatal(err)
		}
		fillAll(tg.X, b)
		a.fillTargets(tg, b.labels, nil, k)
		want := 0.0
		for i := range tg.Weight {
			w := float32(i+1) / float32(k*k)
			tg.Weight[i] = w
			want += float64(w) * losses[i]
		}
		got, err := tg.Run(nil)
		tg.Reset()
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("gamma %v alpha %v: graph cost %v, Go losses give %v", ls.gamma, ls.alpha, got, want)
		}
		for i, p := range probs {
			if p < 0 || p > 1 || losses[i] < 0 {
				t.Fatalf("example %d: p %v loss %v", i, p, losses[i])
			}
		}
	}
}

func TestBucket(t *testing.T) {
	cases := []struct{ n, m, k, want int }{
		{8, 8, 32, 8},
		{32, 8, 32, 32},
		{3, 8, 32, 4},
		{5, 8, 32, 6},
		{1, 32, 128, 8},
		{120, 32, 128, 120},
		{121, 32, 128, 128},
		{1, 1, 1, 1},
	}
	for _, c := range cases {
		got := bucket(c.n, c.m, c.k)
		if got != c.want {
			t.Errorf("bucket(%d, m=%d, k=%d) = %d, want %d", c.n, c.m, c.k, got, c.want)
		}
		if got < c.n || got > c.k {
			t.Errorf("bucket(%d, m=%d, k=%d) = %d outside [n, k]", c.n, c.m, c.k, got)
		}
	}
}

package store

import (
	"math"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// testConfig is a small two-arm experiment; it does not need the trainer.
func testConfig(seed int64) trainer.Config {
	return trainer.Config{
		Data:  data.Config{Name: "circle", Size: 400, LabelNoise: 0.1},
		Model: trainer.ModelConfig{Hidden: []int{16, 16}},
		K:     32,
		Arms: []trainer.ArmConfig{
			{Select: ohem.Params{Strategy: ohem.TopK, M: 8}, LR: 0.1},
			{Select: ohem.Params{Strategy: ohem.Random, M: 8}, LR: 0.1},
		},
		Seed: seed,
	}
}

// fakeBatch is a deterministic batch event of arm at step; run varies the
// values between runs.
func fakeBatch(run int64, arm int, step int64) *trainer.BatchEvent {
	base := 2.3/(1+0.01*float64(step)) + 0.1*float64(arm) + 0.001*float64(run)
	e := &trainer.BatchEvent{
		Arm: arm, Step: step, Version: 1 + step/100, K: 32, M: 8, Strategy: ohem.TopK, Exec: "twopass",
		Losses: make([]float32, 32), Selected: []int32{1, 2, 3}, Weights: []float32{0.3, 0.3, 0.4},
		BatchLoss: base, SelLoss: 2 * base, KeptShare: 0.5, SelFlippedShare: 0.125,
		StepSeconds: 0.001, ExamplesSeen: 32 * step, ExamplesBackprop: 8 * step,
		WallSeconds: 0.002 * float64(step),
	}
	for i := range e.Quantiles {
		e.Quantiles[i] = float32(base) * float32(i+1) / 4
	}
	return e
}

// fakeEval is a deterministic evaluation of arm at step.
func fakeEval(run int64, arm int, step int64) *trainer.EvalEvent {
	acc := 1 - 1/(1+0.01*float64(step)) - 0.01*float64(arm) + 0.0001*float64(run)
	return &trainer.EvalEvent{
		Arm: arm, Step: step, Version: 1 + step/100, ExamplesBackprop: 8 * step,
		WallSeconds: 0.002 * float64(step), TestLoss: 1 - acc, TestAccuracy: acc, TrainLoss: 1.5 - acc,
		PerClass:  []float64{acc - 0.01, acc + 0.01},
		Confusion: [][]int{{int(step), 3}, {2, int(step)}},
	}
}

// wantMetric is what fakeBatch becomes in the database.
func wantMetric(run int64, arm int, step int64) Metric {
	it, _ := toItem(fakeBatch(run, arm, step))
	return *it.batch
}

// sameFloat compares two stored numbers, NaN equal to NaN.
func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// sameMetric compares two metrics field by field.
func sameMetric(a, b Metric) bool {
	for i := range a.Q {
		if !sameFloat(a.Q[i], b.Q[i]) {
			return false
		}
	}
	return a.Arm == b.Arm && a.Step == b.Step && a.Version == b.Version &&
		sameFloat(a.BatchLoss, b.BatchLoss) && sameFloat(a.SelLoss, b.SelLoss) &&
		sameFloat(a.KeptShare, b.KeptShare) && sameFloat(a.SelFlippedShare, b.SelFlippedShare) &&
		a.ExamplesSeen == b.ExamplesSeen && a.ExamplesBackprop == b.ExamplesBackprop && sameFloat(a.Wall, b.Wall)
}

// openTemp opens a store in a fresh temporary directory.
func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// fixedClock returns a clock that starts at a fixed time and advances one
// second per call.
func fixedClock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

// publishRun publishes a reset config, steps steps of every arm and an
// evaluation every evalEvery steps.
func publishRun(sink trainer.Sink, run int64, cfg trainer.Config, steps, evalEvery int64) {
	sink.Publish(resetEvent(cfg))
	publishSteps(sink, run, cfg, steps, evalEvery)
}

// resetEvent is the reset config event that starts a run of cfg.
func resetEvent(cfg trainer.Config) *trainer.ConfigEvent {
	return &trainer.ConfigEvent{Version: 1, Step: 1, Config: cfg, Changed: []string{}, Reset: true}
}

// publishSteps publishes steps steps of every arm and an evaluation every
// evalEvery steps.
func publishSteps(sink trainer.Sink, run int64, cfg trainer.Config, steps, evalEvery int64) {
	for s := int64(1); s <= steps; s++ {
		for a := range cfg.Arms {
			sink.Publish(fakeBatch(run, a, s))
		}
		if evalEvery > 0 && s%evalEvery == 0 {
			for a := range cfg.Arms {
				sink.Publish(fakeEval(run, a, s))
			}
		}
	}
}

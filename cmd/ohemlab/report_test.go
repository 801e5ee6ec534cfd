package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
)

// TestReportNonFinite checks that the report's numbers are written as
// encoding/json writes them, and a diverged run's NaN and ±Inf as null.
func TestReportNonFinite(t *testing.T) {
	tests := []struct {
		x    float64
		want string
	}{
		{0.5, "0.5"}, {0, "0"}, {-2, "-2"}, {1e21, "1e+21"},
		{math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"},
	}
	for _, tc := range tests {
		var b strings.Builder
		if err := writeJSON(&b, trainReport{TrainLoss: tc.x}); err != nil {
			t.Fatal(err)
		}
		if want := `"train_loss":` + tc.want + `,`; !strings.Contains(b.String(), want) {
			t.Errorf("train_loss %v: report %s, want it to contain %s", tc.x, b.String(), want)
		}
	}
}

// TestCollectorAndReport feeds a collector synthetic events and checks the
// report built from them.
func TestCollectorAndReport(t *testing.T) {
	cfg := trainer.Config{
		Data:      trainer.Config{}.Data,
		K:         10,
		Seed:      3,
		EvalEvery: 1,
		Arms: []trainer.ArmConfig{
			{Select: ohem.Params{Strategy: "topk", M: 5}, LR: 0.1, Exec: "twopass"},
			{Name: "ctl", Select: ohem.Params{Strategy: "random", M: 5}, LR: 0.1, Exec: "twopass"},
		},
	}
	cfg.Data.Name = "xor"
	cfg.Data.LabelNoise = 0.2
	c := newCollector(2)
	var statuses []string
	c.onStatus = func(s trainer.StatusEvent) { statuses = append(statuses, s.State) }
	for step := int64(1); step <= 4; step++ {
		for arm := 0; arm < 2; arm++ {
			c.Publish(&trainer.BatchEvent{Arm: arm, Step: step, ExamplesSeen: 10 * step, ExamplesBackprop: 5 * step,
				StepSeconds: 0.01, BatchLoss: float64(5 - step), SelFlippedShare: 0.2 * float64(arm+1)})
			// Arm 0: 0.6, 0.7, 0.8, 0.9; arm 1 0.1 lower.
			acc := 0.5 + 0.1*float64(step) - 0.1*float64(arm)
			c.Publish(&trainer.EvalEvent{Arm: arm, Step: step, ExamplesBackprop: 5 * step, TestAccuracy: acc, TestLoss: 1 / float64(step), TrainLoss: 7})
		}
	}
	c.Publish(&trainer.BatchEvent{Arm: 0, Step: 5, ExamplesSeen: 50, ExamplesBackprop: 25, StepSeconds: 0.01, BatchLoss: 0.5})
	c.Publish(&trainer.StatusEvent{State: trainer.StateStopped})
	if len(statuses) != 1 || statuses[0] != trainer.StateStopped {
		t.Errorf("onStatus saw %v", statuses)
	}
	tallies, st := c.snapshot()
	if st.State != trainer.StateStopped {
		t.Errorf("status = %+v", st)
	}
	state := trainer.State{Status: trainer.StateStopped, Dataset: trainer.DatasetInfo{FlippedFrac: 0.19}}
	r := buildReport(cfg, state, tallies, 0.8, 2.5, 0.5)

	if len(r.Arms) != 2 {
		t.Fatalf("arms = %+v", r.Arms)
	}
	a0, a1 := r.Arms[0], r.Arms[1]
	if a0.Name != "topk" || a1.Name != "ctl" || a0.Steps != 5 || a1.Steps != 4 {
		t.Errorf("arms = %+v / %+v", a0, a1)
	}
	if r.Steps != 5 || r.ExamplesSeen != 50 || r.ExamplesBackpropagated != 25 || r.K != 10 || r.Dataset != "xor" {
		t.Errorf("top level = %+v", r)
	}
	if got := float64(a0.StepsPerSecond); math.Abs(got-100) > 1e-9 {
		t.Errorf("steps/s = %v, want 100", got)
	}
	if float64(a0.TrainLoss) != 0.5 || float64(a1.TrainLoss) != 7 {
		t.Errorf("train loss = %v, %v; want 0.5 (after the last eval) and 7 (the eval's)", a0.TrainLoss, a1.TrainLoss)
	}
	if float64(a0.TestAccuracy) != 0.9 || float64(a0.TestLoss) != 0.25 {
		t.Errorf("test = %v, %v", a0.TestAccuracy, a0.TestLoss)
	}
	if a0.SelectedFlippedShare == nil || math.Abs(float64(*a0.SelectedFlippedShare)-0.8/5) > 1e-12 {
		t.Errorf("selected flipped share = %v", a0.SelectedFlippedShare)
	}
	// The mean of the last three evaluations: arm 0 reaches 0.8 at step 4
	// (0.7, 0.8, 0.9) with 20 backpropagated, although a single evaluation
	// reached it at step 3; arm 1 never (0.6, 0.7, 0.8).
	tr := r.ExamplesBackpropagatedTo
	if a0.ToTarget == nil || a0.ToTarget.Step != 4 || a1.ToTarget != nil {
		t.Errorf("to target = %+v, %+v; want step 4 and not reached", a0.ToTarget, a1.ToTarget)
	}
	if tr.TargetAccuracy != 0.8 || len(tr.Arms) != 2 || tr.Arms[0] == nil || *tr.Arms[0] != 20 || tr.Arms[1] != nil || tr.Ratio != nil {
		t.Errorf("target report = %+v", tr)
	}
	r2 := buildReport(cfg, state, tallies, 0.6, 2.5, 0.5)
	if tr := r2.ExamplesBackpropagatedTo; tr.Ratio == nil || *tr.Arms[0] != 15 || *tr.Arms[1] != 15 || float64(*tr.Ratio) != 1 {
		t.Errorf("target report at 0.6 = %+v", tr)
	}

	var out bytes.Buffer
	if err := writeJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"steps", "examples_seen", "examples_backpropagated", "train_loss", "test_loss",
		"test_accuracy", "steps_per_second", "wall_seconds", "selected_flipped_share", "arms", "examples_backpropagated_to"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	out.Reset()
	if err := writeSummary(&out, r2); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"xor", "topk", "ctl", "steps/s", "needs 1.00x the backprop of ctl", "labels flipped"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
}

// TestProgressPlain checks the plain progress lines: one per tenth of the
// run, none repeated.
func TestProgressPlain(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false, 20)
	for step := int64(1); step <= 20; step++ {
		p.update([]armTally{{steps: step, stepSeconds: float64(step) / 100, lastBatchLoss: 1}})
		p.update([]armTally{{steps: step, stepSeconds: float64(step) / 100, lastBatchLoss: 1}})
	}
	p.finish()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("got %d lines, want 10:\n%s", len(lines), b.String())
	}
	if !strings.HasPrefix(lines[0], "step 2/20 (10%) 100 steps/s loss 1.0000") || !strings.HasPrefix(lines[9], "step 20/20 (100%)") {
		t.Errorf("lines:\n%s", b.String())
	}
	// Jumps skip the tenths passed in between.
	b.Reset()
	p = newProgress(&b, false, 100)
	p.update([]armTally{{steps: 55}})
	p.update([]armTally{{steps: 59}})
	p.update([]armTally{{steps: 60}})
	if got := strings.Count(b.String(), "\n"); got != 2 {
		t.Errorf("got %d lines, want 2:\n%s", got, b.String())
	}
}

// TestProgressBar checks the terminal bar: redrawn in place, closed by
// finish.
func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, 10)
	p.update([]armTally{{steps: 5}, {steps: 4}})
	p.finish()
	s := b.String()
	if !strings.HasPrefix(s, "\r[") || !strings.Contains(s, "] 4/10 ") || !strings.HasSuffix(s, "\n") || strings.Count(s, "=") != 12 {
		t.Errorf("bar = %q", s)
	}
}

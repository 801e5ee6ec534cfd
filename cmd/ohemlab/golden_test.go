package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it)\ngot:\n%s\nwant:\n%s", path, t.Name(), got, want)
	}
}

// TestHelpGolden pins the help texts: every flag, its type and default.
func TestHelpGolden(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "train"}, {"help", "serve"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		name := "help.golden"
		if len(args) == 2 {
			name = "help_" + args[1] + ".golden"
		}
		golden(t, name, out.Bytes())
	}
}

// TestSummaryGolden pins the human summary and the JSON report of a
// two-arm run with label noise built from fixed events.
func TestSummaryGolden(t *testing.T) {
	cfg := trainer.Config{K: 32, Seed: 1, EvalEvery: 50}
	cfg.Data.Name = "moons"
	cfg.Data.LabelNoise = 0.1
	cfg.Model.Hidden = []int{16, 16}
	cfg.Arms = []trainer.ArmConfig{
		{Name: "topk", Select: ohem.Params{Strategy: "topk", M: 8}, LR: 0.05, Exec: "twopass"},
		{Name: "random", Select: ohem.Params{Strategy: "random", M: 8}, LR: 0.05, Exec: "mask"},
	}
	c := newCollector(2)
	for step := int64(1); step <= 200; step++ {
		for arm := 0; arm < 2; arm++ {
			c.Publish(&trainer.BatchEvent{Arm: arm, Step: step, ExamplesSeen: 32 * step, ExamplesBackprop: 8 * step,
				ExamplesForward: 32 * step, ComputeFLOPs: 1000 * (32*step + 2*8*step),
				StepSeconds: 0.002 * float64(arm+1), BatchLoss: 1 / float64(step), SelFlippedShare: 0.25 / float64(arm+1)})
			if step%50 == 0 {
				// Arm 0: 0.75, 0.80, 0.85, 0.90; arm 1 0.05 lower. The mean of
				// the last three reaches 0.80 at step 150 (arm 0) and 200 (arm 1).
				c.Publish(&trainer.EvalEvent{Arm: arm, Step: step, ExamplesBackprop: 8 * step,
					ExamplesForward: 32 * step, ComputeFLOPs: 1000 * (32*step + 2*8*step),
					TestAccuracy: 0.7 + 0.05*float64(step/50) - 0.05*float64(arm), TestLoss: 0.5, TrainLoss: 0.25})
			}
		}
	}
	tallies, _ := c.snapshot()
	st := trainer.State{Status: trainer.StateStopped, Dataset: trainer.DatasetInfo{FlippedFrac: 0.1}}
	r := buildReport(cfg, st, tallies, 0.80, 1.5, 0.25)
	var b bytes.Buffer
	if err := writeSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden", b.Bytes())
	b.Reset()
	if err := writeJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", b.Bytes())
}

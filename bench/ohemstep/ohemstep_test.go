package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"defaults", nil, ""},
		{"mask", []string{"-strategy", "mask", "-K", "64", "-ratio", "0.5"}, ""},
		{"bad strategy", []string{"-strategy", "topk"}, `-strategy "topk"`},
		{"K one", []string{"-K", "1"}, "-K 1 out of range"},
		{"ratio zero", []string{"-ratio", "0"}, "-ratio 0 out of range"},
		{"ratio keeps none", []string{"-K", "4", "-ratio", "0.1"}, "keeps no example"},
		{"lr negative", []string{"-lr", "-1"}, "-lr -1 out of range"},
		{"steps zero", []string{"-steps", "0"}, "-steps 0 out of range"},
		{"warmup negative", []string{"-warmup", "-1"}, "-warmup -1 out of range"},
		{"stray", []string{"x"}, `unexpected argument "x"`},
		{"unknown flag", []string{"-fast"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions(tt.args)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		strategy, wantSel, wantExec string
		wantM                       int
	}{
		{"plain", ohem.All, trainer.ExecTwoPass, 128},
		{"twopass", ohem.TopK, trainer.ExecTwoPass, 32},
		{"mask", ohem.TopK, trainer.ExecMask, 32},
	}
	for _, tt := range tests {
		o, err := parseOptions([]string{"-strategy", tt.strategy})
		if err != nil {
			t.Fatal(err)
		}
		cfg := config(o)
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", tt.strategy, err)
		}
		a := cfg.Arms[0]
		if len(cfg.Arms) != 1 || a.Select.Strategy != tt.wantSel || a.Exec != tt.wantExec || a.Select.M != tt.wantM || a.LR != 0.1 || cfg.K != 128 || cfg.Data.Name != "mnist" {
			t.Errorf("%s: config %+v", tt.strategy, cfg)
		}
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		x    []float64
		q    float64
		want float64
	}{
		{nil, 0.5, 0},
		{[]float64{7}, 0.9, 7},
		{[]float64{1, 2, 3}, 0.5, 2},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{0, 10}, 0.9, 9},
		{[]float64{1, 2, 3}, 1, 3},
	}
	for _, tt := range tests {
		if got := percentile(tt.x, tt.q); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("percentile(%v, %g) = %g, want %g", tt.x, tt.q, got, tt.want)
		}
	}
}

func TestSummarise(t *testing.T) {
	o := options{strategy: "twopass", k: 128, ratio: 0.25, lr: 0.1, steps: 4, warmup: 2}
	cfg := config(o)
	step := []float64{9, 9, 0.001, 0.002, 0.003, 0.004}
	t0 := time.Unix(0, 0)
	arrival := []time.Time{t0, t0.Add(time.Second), t0.Add(1100 * time.Millisecond), t0.Add(1200 * time.Millisecond), t0.Add(1300 * time.Millisecond), t0.Add(1400 * time.Millisecond)}
	loss := []float64{2, 2, 1, 1, 1, 1}
	r := summarise(o, cfg, step, arrival, loss)
	if r.TimedSteps != 4 || math.Abs(r.TimedSeconds-0.01) > 1e-12 || math.Abs(r.StepsPerS-400) > 1e-9 {
		t.Errorf("timed %d steps in %g s = %g steps/s, want 4 in 0.01 = 400", r.TimedSteps, r.TimedSeconds, r.StepsPerS)
	}
	if math.Abs(r.MedianStepMS-2.5) > 1e-9 || math.Abs(r.LoopStepsPerS-10) > 1e-9 {
		t.Errorf("median %g ms, loop %g steps/s, want 2.5 and 10", r.MedianStepMS, r.LoopStepsPerS)
	}
	if r.Strategy != "twopass" || r.K != 128 || r.M != 32 || r.BLAS != trainer.BLAS || math.Abs(r.ObjectiveLast50-4.0/3) > 1e-12 {
		t.Errorf("result %+v", r)
	}
}

// TestRunMNIST trains a few real steps, with the sparse first layer and
// with -dense, and checks the RESULT line and that -dense does not outlive
// the run.
func TestRunMNIST(t *testing.T) {
	for _, dense := range []bool{false, true} {
		var out bytes.Buffer
		args := []string{"-strategy", "twopass", "-steps", "5", "-warmup", "2"}
		if dense {
			args = append(args, "-dense")
		}
		if err := run(context.Background(), args, &out); err != nil {
			t.Fatal(err)
		}
		js, ok := strings.CutPrefix(strings.TrimSpace(out.String()), "RESULT ")
		if !ok {
			t.Fatalf("output %q lacks the RESULT prefix", out.String())
		}
		var r Result
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatal(err)
		}
		if r.TimedSteps != 5 || !(r.StepsPerS > 0) || r.M != 32 || !(r.ObjectiveLast50 > 0) || !(r.LoopStepsPerS > 0) || r.SparseInputs == dense {
			t.Errorf("dense %v: result %+v", dense, r)
		}
		if on := trainer.SetSparseInputs(true); !on {
			t.Errorf("dense %v: sparse inputs left off after the run", dense)
		}
	}
}

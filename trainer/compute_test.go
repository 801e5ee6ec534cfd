package trainer

import (
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

func TestForwardFLOPs(t *testing.T) {
	tests := []struct {
		dims []int
		want int64
	}{
		{[]int{784, 256, 10}, 2 * (784*256 + 256*10)}, // 406,528
		{[]int{2, 16, 16, 2}, 2 * (2*16 + 16*16 + 16*2)},
		{[]int{3, 4}, 24},
		{[]int{5}, 0},
	}
	for _, tc := range tests {
		if got := forwardFLOPs(tc.dims); got != tc.want {
			t.Errorf("forwardFLOPs(%v) = %d, want %d", tc.dims, got, tc.want)
		}
	}
}

// TestComputeCounts checks examples_forwarded, examples_backpropagated and
// compute_flops of every strategy after a short run against counts made
// from the batch events: K forwarded per step (offline: M per step plus
// every pool scan), the selected examples backpropagated, and FLOPs of
// F per forward and 2F per backward.
func TestComputeCounts(t *testing.T) {
	const steps, k, m = 25, 32, 8
	f := forwardFLOPs([]int{2, 16, 16, 2})
	for _, s := range ohem.Strategies {
		for _, exec := range []string{ExecTwoPass, ExecMask} {
			t.Run(s+"/"+exec, func(t *testing.T) {
				a := sel(s, m)
				a.Exec = exec
				a.Select.Refresh, a.Select.Pool, a.Select.Hard = 10, 150, 40
				cfg := withArms(plane(data.Moons), a)
				cfg.K, cfg.EvalEvery = k, 10
				_, rec := run(t, cfg, steps)
				var fwd, back int64
				for _, b := range rec.batches(0) {
					fwd += int64(b.K + b.Scanned)
					back += int64(len(b.Selected))
					if b.ExamplesForward != fwd || b.ExamplesBackprop != back || b.ComputeFLOPs != f*(fwd+2*back) {
						t.Fatalf("step %d: forwarded %d, backprop %d, compute %d; want %d, %d, %d",
							b.Step, b.ExamplesForward, b.ExamplesBackprop, b.ComputeFLOPs, fwd, back, f*(fwd+2*back))
					}
				}
				wantFwd := int64(steps * k)
				switch s {
				case ohem.Offline:
					wantFwd = steps*m + 3*150 // scans at steps 1, 11 and 21
				}
				if fwd != wantFwd {
					t.Errorf("forwarded %d over %d steps, want %d", fwd, steps, wantFwd)
				}
				if s == ohem.All && back != steps*k || (s == ohem.TopK || s == ohem.Random || s == ohem.Offline) && back != steps*m {
					t.Errorf("backpropagated %d over %d steps", back, steps)
				}
				evals := rec.evals(0)
				if len(evals) == 0 {
					t.Fatal("no evaluation")
				}
				last := evals[len(evals)-1]
				if last.ExamplesForward != fwd || last.ComputeFLOPs != f*(fwd+2*back) {
					t.Errorf("last evaluation: forwarded %d, compute %d; want %d, %d (evaluation is not counted)", last.ExamplesForward, last.ComputeFLOPs, fwd, f*(fwd+2*back))
				}
			})
		}
	}
}

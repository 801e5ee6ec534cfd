package trainer

import (
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// TestMNISTOneEpochAccuracy is the acceptance bar: one epoch of MNIST (469
// steps, K=128, M=32, SGD lr 0.1, seed 1) with topk (twopass) and all on
// identical batches. A PyTorch reference of this configuration reaches 0.940
// and 0.915.
func TestMNISTOneEpochAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("one epoch of MNIST for two arms takes seconds")
	}
	cfg := withArms(DefaultConfig(data.MNIST), sel(ohem.TopK, 32), sel(ohem.All, 128))
	cfg.EvalEvery = 469
	_, rec := run(t, cfg, 469)
	want := []float64{0.935, 0.905}
	for arm, min := range want {
		evs := rec.evals(arm)
		if len(evs) != 1 || evs[0].Step != 469 {
			t.Fatalf("arm %d: %d evaluations, want one at step 469", arm, len(evs))
		}
		acc := evs[0].TestAccuracy
		t.Logf("arm %d (%s): test accuracy %.4f, test loss %.4f, %d examples backpropagated", arm, cfg.Arms[arm].Select.Strategy, acc, evs[0].TestLoss, evs[0].ExamplesBackprop)
		if acc < min {
			t.Errorf("arm %d (%s): test accuracy %.4f < %.3f", arm, cfg.Arms[arm].Select.Strategy, acc, min)
		}
	}
}

// TestMNISTShortRun is the -short-friendly MNIST check: a few steps of
// every execution path with all events.
func TestMNISTShortRun(t *testing.T) {
	cfg := withArms(DefaultConfig(data.MNIST), sel(ohem.TopK, 32), sel(ohem.Selective, 32))
	cfg.EvalEvery = 10
	tr, rec := run(t, cfg, 10)
	for arm := range 2 {
		evs := rec.evals(arm)
		if len(evs) != 1 || evs[0].Surface != nil || len(evs[0].Confusion) != 10 {
			t.Fatalf("arm %d: evaluations %+v", arm, evs)
		}
		if evs[0].TestAccuracy < 0.3 {
			t.Errorf("arm %d: accuracy %.3f after 10 steps: not learning", arm, evs[0].TestAccuracy)
		}
	}
	info := tr.State().Dataset
	if info.Dim != 784 || info.ImageW != 28 || info.NumTrain != 60000 || info.NumTest != 10000 || info.Classes != 10 {
		t.Fatalf("dataset info %+v", info)
	}
}

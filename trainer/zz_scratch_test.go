package trainer

import (
	"testing"
	"github.com/ohemlab/ohemlab/trainer/data"
)

func TestScratchDiv(t *testing.T) {
	cfg := DefaultConfig(data.MNIST)
	cfg.Arms[0].LR = 50
	tr, rec := run(t, cfg, 30)
	for _, b := range rec.batches(0) {
		t.Logf("step %d loss %v q %v", b.Step, b.BatchLoss, b.Quantiles)
	}
	t.Log(tr.State().Status, tr.State().Reason)
}

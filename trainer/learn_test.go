package trainer

import (
	"fmt"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// TestPlaneDefaultsLearn checks that every 2-D preset learns visibly: at
// least 90% test accuracy within 1500 steps.
func TestPlaneDefaultsLearn(t *testing.T) {
	for _, name := range []string{data.Circle, data.XOR, data.Gauss, data.Spiral, data.Moons} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig(name)
			cfg.EvalEvery = 1500
			_, rec := run(t, cfg, 1500)
			evs := rec.evals(0)
			if len(evs) != 1 {
				t.Fatalf("%d evaluations", len(evs))
			}
			if acc := evs[0].TestAccuracy; acc < 0.9 {
				t.Errorf("test accuracy %.3f after 1500 steps, want >= 0.9", acc)
			}
		})
	}
}

// TestEveryStrategyAndExec runs every strategy with both executions and
// focal loss on and off, checking the selection sizes the strategy
// promises.
func TestEveryStrategyAndExec(t *testing.T) {
	for _, s := range ohem.Strategies {
		for _, exec := range []string{ExecTwoPass, ExecMask} {
			for _, gamma := range []float64{0, 2} {
				t.Run(fmt.Sprintf("%s-%s-gamma%v", s, exec, gamma), func(t *testing.T) {
					cfg := plane(data.Moons)
					cfg.Data.PosFrac = 0.2
					a := sel(s, 8)
					a.Exec, a.FocalGamma = exec, gamma
					if gamma > 0 {
						a.FocalAlpha = 0.25
					}
					cfg = withArms(cfg, a)
					tr, rec := run(t, cfg, 25)
					evs := rec.batches(0)
					if len(evs) != 25 || tr.State().Status != StateStopped {
						t.Fatalf("%d steps, status %s %s", len(evs), tr.State().Status, tr.State().Reason)
					}
					for _, ev := range evs {
						n := len(ev.Selected)
						switch s {
						case ohem.All:
							if n != ev.K {
								t.Fatalf("step %d: all kept %d of %d", ev.Step, n, ev.K)
							}
						case ohem.Random, ohem.TopK:
							if n != 8 {
								t.Fatalf("step %d: %s kept %d, want 8", ev.Step, s, n)
							}
						default:
							if n < 1 || n > ev.K {
								t.Fatalf("step %d: %s kept %d", ev.Step, s, n)
							}
						}
						if ev.BatchLoss != ev.BatchLoss || ev.BatchLoss < 0 {
							t.Fatalf("step %d: batch loss %v", ev.Step, ev.BatchLoss)
						}
					}
				})
			}
		}
	}
}

package trainer

import (
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// BenchmarkStep measures one training step of one arm on MNIST (K=128,
// M=32, SGD lr 0.1): the plain baseline, topk two-pass and topk mask. The
// step includes the data copy, selection, the event and the statistics.
func BenchmarkStep(b *testing.B) {
	cases := []struct {
		name string
		arm  ArmConfig
	}{
		{"all", sel(ohem.All, 128)},
		{"topk-twopass", sel(ohem.TopK, 32)},
		{"topk-mask", ArmConfig{Select: ohem.Params{Strategy: ohem.TopK, M: 32}, Exec: ExecMask}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := testSession(b, withArms(DefaultConfig(data.MNIST), c.arm))
			a := e.arms[0]
			for range 3 { // build the graphs
				stepAll(b, e)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				bt := e.nextBatch()
				e.step++
				if _, err := a.step(bt, e.step, e.version); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkEval measures one evaluation of an MNIST arm on the 10,000 test
// images.
func BenchmarkEval(b *testing.B) {
	e := testSession(b, DefaultConfig(data.MNIST))
	a := e.arms[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.evaluate(e.set, e.step, e.version); err != nil {
			b.Fatal(err)
		}
	}
}

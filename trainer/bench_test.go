package trainer

import (
	"slices"
	"testing"
	"time"

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

// BenchmarkTwoPassRatio times the plain step (strategy all, K=128) and
// the topk two-pass step (M=32) on MNIST side by side in one process:
// rounds of 50 steps of each in turn, so that a loaded machine slows both
// alike. It reports each one's median step time over all its steps and
// the ratio of the medians (the two-pass/plain figure), for the
// build's BLAS (default or -tags openblas). Each step also runs with the
// first layer multiplied densely (SetSparseInputs(false), as without the
// sparse-input products), in the same rounds, and the two-pass step's
// dense/sparse ratio is reported. b.N is the number of rounds.
//
//	go test ./trainer -run '^$' -bench TwoPassRatio -benchtime 20x
func BenchmarkTwoPassRatio(b *testing.B) {
	const perRound = 50
	cases := []struct {
		name  string
		arm   ArmConfig
		dense bool
	}{
		{"plain", sel(ohem.All, 128), false},
		{"twopass", sel(ohem.TopK, 32), false},
		{"plain-dense", sel(ohem.All, 128), true},
		{"twopass-dense", sel(ohem.TopK, 32), true},
	}
	defer SetSparseInputs(SetSparseInputs(true))
	type run struct {
		e *session
		a *arm
		t []float64
	}
	runs := make([]*run, len(cases))
	for i, c := range cases {
		SetSparseInputs(!c.dense)
		e := testSession(b, withArms(DefaultConfig(data.MNIST), c.arm))
		for range 5 { // build the graphs, warm up
			stepAll(b, e)
		}
		runs[i] = &run{e: e, a: e.arms[0]}
	}
	for b.Loop() {
		for i, r := range runs {
			SetSparseInputs(!cases[i].dense)
			for range perRound {
				bt := r.e.nextBatch()
				r.e.step++
				t0 := time.Now()
				if _, err := r.a.step(bt, r.e.step, r.e.version); err != nil {
					b.Fatal(err)
				}
				r.t = append(r.t, time.Since(t0).Seconds()*1e3)
			}
		}
	}
	med := make([]float64, len(runs))
	for i, r := range runs {
		slices.Sort(r.t)
		med[i] = r.t[len(r.t)/2]
		b.ReportMetric(med[i], "ms/step-"+cases[i].name)
	}
	b.ReportMetric(med[1]/med[0], "twopass/plain")
	b.ReportMetric(med[3]/med[2], "twopass/plain-dense")
	b.ReportMetric(med[3]/med[1], "twopass-dense/sparse")
	b.ReportMetric(0, "ns/op")
}

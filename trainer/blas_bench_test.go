//go:build !openblas

package trainer

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/gemm"
)

// BenchmarkStepGemmVsGonum times the training step (MNIST, K=128, M=32)
// with the default build's Sgemm (package gemm) and with gonum's, in
// alternating rounds within one process, so that a noisy machine hits both
// alike. Per library and strategy it reports the median wall and CPU
// (getrusage: both cores) milliseconds per step; then the speed-up of gemm
// over gonum and each library's two-pass/plain step-time ratio. b.N is
// the number of steps per round and case (at least 100).
//
//	go test ./trainer -run '^$' -bench GemmVsGonum -benchtime 200x
func BenchmarkStepGemmVsGonum(b *testing.B) {
	const rounds = 5
	steps := max(b.N, 100)
	libs := []struct {
		name string
		use  func()
	}{
		{"gemm", func() { G.Use(gemm.Impl{}); blas32.Use(gemm.Impl{}) }},
		{"gonum", func() { G.Use(gonum.Implementation{}); blas32.Use(gonum.Implementation{}) }},
	}
	defer libs[0].use()
	cases := []struct {
		name string
		arm  ArmConfig
	}{
		{"plain", sel(ohem.All, 128)},
		{"twopass", sel(ohem.TopK, 32)},
	}
	wall := map[string][]float64{}
	cpu := map[string][]float64{}
	for range rounds {
		for _, l := range libs {
			l.use()
			for _, c := range cases {
				e := testSession(b, withArms(DefaultConfig(data.MNIST), c.arm))
				a := e.arms[0]
				for range 5 {
					stepAll(b, e)
				}
				u0 := cpuNow()
				t0 := time.Now()
				for range steps {
					bt := e.nextBatch()
					e.step++
					if _, err := a.step(bt, e.step, e.version); err != nil {
						b.Fatal(err)
					}
				}
				key := l.name + "/" + c.name
				wall[key] = append(wall[key], float64(time.Since(t0).Microseconds())/1000/float64(steps))
				cpu[key] = append(cpu[key], float64((cpuNow()-u0).Microseconds())/1000/float64(steps))
			}
		}
	}
	med := func(x []float64) float64 {
		s := slices.Clone(x)
		slices.Sort(s)
		return s[len(s)/2]
	}
	for _, l := range libs {
		for _, c := range cases {
			key := l.name + "/" + c.name
			b.ReportMetric(med(wall[key]), "ms/step-"+l.name+"-"+c.name)
			b.ReportMetric(med(cpu[key]), "cpu-ms/step-"+l.name+"-"+c.name)
		}
		b.ReportMetric(med(wall[l.name+"/twopass"])/med(wall[l.name+"/plain"]), "twopass/plain-"+l.name)
	}
	for _, c := range cases {
		var r []float64
		for i := range wall["gonum/"+c.name] {
			r = append(r, wall["gonum/"+c.name][i]/wall["gemm/"+c.name][i])
		}
		slices.Sort(r)
		b.ReportMetric(med(r), "speedup-"+c.name)
		b.Logf("%s: gemm speed-up over gonum per round (wall) %s", c.name, fmt.Sprint(r))
	}
	b.ReportMetric(0, "ns/op")
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

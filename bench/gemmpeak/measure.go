package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/blas"
)

// library is a named float32 BLAS.
type library struct {
	name string
	impl blas.Float32
}

// libraries lists the BLAS libraries compiled into this binary; the
// openblas build appends OpenBLAS.
var libraries = []library{{name: "gonum", impl: gonumImpl()}}

// Result is one library's measurement.
type Result struct {
	BLAS        string  `json:"blas"`
	N           int     `json:"n"`
	Reps        int     `json:"reps"`
	BestSeconds float64 `json:"best_seconds"`
	GFLOPS      float64 `json:"gflops"`
}

// gemmFlops returns the floating-point operations of an m×k by k×n
// multiply: one multiply and one add per inner-product term.
func gemmFlops(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// measure multiplies two random n×n matrices repeatedly for at least
// minSeconds (and at least 3 times) and reports the fastest repetition.
func measure(lib library, n int, minSeconds float64) Result {
	a, b, c := randomMatrix(n*n, 1), randomMatrix(n*n, 2), make([]float32, n*n)
	best := math.Inf(1)
	reps := 0
	start := time.Now()
	for reps < 3 || time.Since(start).Seconds() < minSeconds {
		t := time.Now()
		lib.impl.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, b, n, 0, c, n)
		best = math.Min(best, time.Since(t).Seconds())
		reps++
	}
	return Result{BLAS: lib.name, N: n, Reps: reps, BestSeconds: best, GFLOPS: gemmFlops(n, n, n) / best / 1e9}
}

// check multiplies small matrices of awkward sizes with lib and compares
// them with a plain triple loop, so a broken binding is never timed.
func check(lib library) error {
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 64, 64}} {
		m, n, k := s[0], s[1], s[2]
		a, b := randomMatrix(m*k, 3), randomMatrix(k*n, 4)
		got := make([]float32, m*n)
		lib.impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, got, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var want float64
				for l := 0; l < k; l++ {
					want += float64(a[i*k+l]) * float64(b[l*n+j])
				}
				if d := math.Abs(float64(got[i*n+j]) - want); d > 1e-4*(1+math.Abs(want)) {
					return fmt.Errorf("%s sgemm %dx%dx%d: element (%d,%d) = %g, want %g", lib.name, m, n, k, i, j, got[i*n+j], want)
				}
			}
		}
	}
	return nil
}

// randomMatrix returns size uniform values in [-1, 1) from a seeded source.
func randomMatrix(size int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	x := make([]float32, size)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

//go:build openblas

package model

// The openblas build routes every matrix multiply through OpenBLAS via cgo:
// Gorgonia's and gorgonia.org/tensor's BLAS and the gonum blas32/blas64
// packages used directly. It needs a C compiler and the OpenBLAS
// development files (Debian: libopenblas-dev). gonum's netlib binding does
// not name the library itself, so the link flag is set here.

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
*/
import "C"

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix product this binary multiplies with: "gemm" or
// "gonum" in the default pure-Go build, "openblas" here (-tags openblas,
// cgo and the system's OpenBLAS). Reports print it so that speed figures
// say which build produced them.
var BLAS = "openblas"

func init() {
	impl := &openBLAS{maxThreads: int(C.openblas_get_num_threads())}
	impl.threads = impl.maxThreads
	G.Use(impl)
	blas32.Use(impl)
	blas64.Use(impl)
}

// minThreadedSgemm is the smallest m·n·k for which a float32 multiply
// runs on all of OpenBLAS's threads. Measured on two cores: the two-pass
// step's products over M=32 rows (m·n·k = 2^22.6) ran up to twice as fast
// on one thread as on two (OpenBLAS hands even small products to its
// thread pool), while the products over K=128 rows (2^24.6) were as fast or
// faster on two.
const minThreadedSgemm = 1 << 24

// openBLAS is OpenBLAS through gonum's netlib binding, choosing for every
// float32 product whether to use one thread or all of them.
type openBLAS struct {
	netlib.Implementation
	mu         sync.Mutex // serialises thread-count changes with the calls
	maxThreads int        // OpenBLAS's thread count at start (OPENBLAS_NUM_THREADS)
	threads    int        // the count last set
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C like netlib's, on one
// thread for small products.
func (o *openBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	want := 1
	if m*n*k >= minThreadedSgemm {
		want = o.maxThreads
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if want != o.threads {
		C.openblas_set_num_threads(C.int(want))
		o.threads = want
	}
	o.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// syncRuns makes graphs run on the calling goroutine (syncRunner), as in
// the default build. This build used RunAll while OpenBLAS multiplied the
// first layer (the calling goroutine was measured slower then); with the
// sparse first layer, running on the calling goroutine made the two-pass
// step about 1.7× and the plain step about 1.3× faster (medians of 4
// alternating runs of bench/ohemstep).
const syncRuns = true

//go:build openblas

package tmpgemm


import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

func BenchmarkShapes(b *testing.B) {
	impl := netlib.Implementation{}
	type sh struct {
		name    string
		ta, tb  blas.Transpose
		m, n, k int
	}
	for _, s := range []sh{
		{"fwdK NN 128x256x784", blas.NoTrans, blas.NoTrans, 128, 256, 784},
		{"fwdM NN 32x256x784", blas.NoTrans, blas.NoTrans, 32, 256, 784},
		{"dW0 TN 784x256x32", blas.Trans, blas.NoTrans, 784, 256, 32},
		{"dW0 TN 784x256x128", blas.Trans, blas.NoTrans, 784, 256, 128},
		{"dW0alt NN 256x784x32", blas.Trans, blas.NoTrans, 256, 784, 32},
	} {
		a := make([]float32, s.m*s.k+s.k*s.m)
		bb := make([]float32, s.k*s.n+s.n*s.k)
		c := make([]float32, s.m*s.n)
		lda := s.k
		if s.ta == blas.Trans {
			lda = s.m
		}
		ldb := s.n
		if s.tb == blas.Trans {
			ldb = s.k
		}
		b.Run(fmt.Sprint(s.name), func(b *testing.B) {
			for b.Loop() {
				impl.Sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)/b.Elapsed().Seconds()*float64(b.N)/1e9, "GFLOP/s")
		})
	}
}

package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	return x
}

// TestSgemmMatchesGonum compares Impl's Sgemm with gonum's on the shapes
// the trainer uses, awkward edges (not multiples of 6 or 16, k beyond one
// block), both transposes, leading dimensions wider than the matrices and
// alpha/beta variants, to 1e-5 relative.
func TestSgemmMatchesGonum(t *testing.T) {
	if !Available() {
		t.Log("no AVX2/FMA here: Impl is gonum's; checking the fallback")
	}
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{
		{128, 256, 784}, {32, 256, 784}, {784, 256, 128}, {784, 256, 32}, {128, 10, 256}, {128, 256, 10},
		{32, 10, 256}, {7, 17, 300}, {13, 33, 513}, {6, 16, 1}, {5, 15, 20}, {64, 64, 64}, {1, 1, 4096},
	}
	params := [][2]float32{{1, 0}, {1, 1}, {-0.1, 1}, {0.5, 0.25}}
	for _, s := range shapes {
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for pi, ab := range params {
					m, n, k := s[0], s[1], s[2]
					if m*n*k > 1<<22 && pi%2 == 1 {
						continue // large products: two of the four alpha/beta cases
					}
					name := fmt.Sprintf("%dx%dx%d/%c%c/%d", m, n, k, tA, tB, pi)
					ra, ca := m, k
					if tA == blas.Trans {
						ra, ca = k, m
					}
					rb, cb := k, n
					if tB == blas.Trans {
						rb, cb = n, k
					}
					lda, ldb, ldc := ca+pi%2*3, cb+pi%2*5, n+pi%2*2
					a, b := randSlice(r, ra*lda), randSlice(r, rb*ldb)
					c0 := randSlice(r, m*ldc)
					want := append([]float32(nil), c0...)
					got := append([]float32(nil), c0...)
					if ab[1] == 0 {
						for i := range got {
							got[i] = float32(math.NaN()) // beta 0 ignores C
						}
					}
					gonum.Implementation{}.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
					Impl{}.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
					for i := range m {
						for j := range ldc {
							w, g := want[i*ldc+j], got[i*ldc+j]
							if j >= n {
								w = c0[i*ldc+j] // outside the matrix: untouched
								if ab[1] == 0 {
									continue
								}
							}
							if d := math.Abs(float64(w - g)); !(d <= 1e-5*(1+math.Abs(float64(w)))*math.Sqrt(float64(k))) {
								t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i, j, g, w)
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemmBadArgsPanicLikeGonum(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a short C did not panic")
		}
	}()
	a, b, c := make([]float32, 64*64), make([]float32, 64*64), make([]float32, 10)
	Impl{}.Sgemm(blas.NoTrans, blas.NoTrans, 64, 64, 64, 1, a, 64, b, 64, 0, c, 64)
}

// BenchmarkSgemm compares Impl and gonum on the training step's products
// (MNIST MLP 784-256-10, K=128, M=32).
//
//	go test ./trainer/internal/gemm -bench Sgemm
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{"fwd-x.W1-128x256x784", blas.NoTrans, blas.NoTrans, 128, 256, 784},
		{"fwd-x.W1-32x256x784", blas.NoTrans, blas.NoTrans, 32, 256, 784},
		{"grad-xT.dz-784x256x32", blas.Trans, blas.NoTrans, 784, 256, 32},
		{"grad-xT.dz-784x256x128", blas.Trans, blas.NoTrans, 784, 256, 128},
		{"fwd-h.W2-128x10x256", blas.NoTrans, blas.NoTrans, 128, 10, 256},
		{"back-dz.W2T-128x256x10", blas.NoTrans, blas.Trans, 128, 256, 10},
		{"square-1024", blas.NoTrans, blas.NoTrans, 1024, 1024, 1024},
	}
	libs := []struct {
		name string
		impl blas.Float32
	}{{"gemm", Impl{}}, {"gonum", gonum.Implementation{}}}
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range shapes {
		a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.tA == blas.Trans {
			lda = s.m
		}
		if s.tB == blas.Trans {
			ldb = s.k
		}
		for _, l := range libs {
			b.Run(s.name+"/"+l.name, func(b *testing.B) {
				for b.Loop() {
					l.impl.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

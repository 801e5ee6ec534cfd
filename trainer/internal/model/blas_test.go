package model

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBLASSelection checks that BLAS names the library that Gorgonia and
// gonum's blas32 actually use in this build (package gemm's Impl is
// registered whether its kernel runs, "gemm", or it falls back to gonum's).
func TestBLASSelection(t *testing.T) {
	want := map[string]string{"gemm": "gemm.Impl", "gonum": "gemm.Impl", "openblas": "model.openBLAS"}[BLAS]
	if want == "" {
		t.Fatalf("BLAS = %q, want gemm, gonum or openblas", BLAS)
	}
	if got := fmt.Sprintf("%T", G.WhichBLAS()); !strings.HasSuffix(got, want) {
		t.Errorf("Gorgonia uses %s, BLAS = %q wants %s", got, BLAS, want)
	}
	if got := fmt.Sprintf("%T", blas32.Implementation()); !strings.HasSuffix(got, want) {
		t.Errorf("blas32 uses %s, BLAS = %q wants %s", got, BLAS, want)
	}
}

// TestBLASMatMul multiplies through Gorgonia's tensor package and through
// blas32 and compares with a plain loop, so a broken binding fails here.
func TestBLASMatMul(t *testing.T) {
	for _, s := range [][3]int{{1, 1, 1}, {2, 3, 4}, {7, 5, 9}, {33, 17, 65}, {70, 40, 300}} {
		m, n, k := s[0], s[1], s[2]
		a, b := seq(m*k, 0.25), seq(k*n, -0.5)
		want := make([]float32, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var sum float64
				for l := 0; l < k; l++ {
					sum += float64(a[i*k+l]) * float64(b[l*n+j])
				}
				want[i*n+j] = float32(sum)
			}
		}
		ta := tensor.New(tensor.WithShape(m, k), tensor.WithBacking(append([]float32(nil), a...)))
		tb := tensor.New(tensor.WithShape(k, n), tensor.WithBacking(append([]float32(nil), b...)))
		tc, err := tensor.MatMul(ta, tb)
		if err != nil {
			t.Fatalf("%v: tensor.MatMul: %v", s, err)
		}
		closeAll(t, fmt.Sprintf("%v tensor", s), tc.Data().([]float32), want)

		c := blas32.General{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: m, Cols: k, Stride: k, Data: a},
			blas32.General{Rows: k, Cols: n, Stride: n, Data: b}, 0, c)
		closeAll(t, fmt.Sprintf("%v blas32", s), c.Data, want)
	}
}

// seq returns n small distinct values starting at start.
func seq(n int, start float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = start + float32(i%13)*0.125 - float32(i%7)*0.0625
	}
	return x
}

func closeAll(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: element %d = %g, want %g", what, i, got[i], want[i])
		}
	}
}

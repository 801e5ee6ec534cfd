//go:build !openblas

package model

import (
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"

	"github.com/ohemlab/ohemlab/trainer/gemm"
)

// BLAS names the matrix-multiply library this binary was built with:
// "gonum" (pure Go, the default build: gonum's BLAS with OHEM Lab's own
// blocked and packed Sgemm from package gemm where the CPU has AVX2 and
// FMA) or "openblas" (built with -tags openblas, cgo and the system's
// OpenBLAS). Reports print it so that speed figures say which build
// produced them.
const BLAS = "gonum"

// The default build multiplies with package gemm: in Gorgonia's graphs and
// in the first layer's gradient, which calls blas32 directly.
func init() {
	G.Use(gemm.Impl{})
	blas32.Use(gemm.Impl{})
}

//go:build !openblas

package model

import (
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"

	"github.com/ohemlab/ohemlab/trainer/gemm"
)

// BLAS names the matrix product this binary multiplies with: "gemm" (the
// default pure-Go build: OHEM Lab's blocked and packed Sgemm from package
// gemm, with its AVX2/FMA kernel), "gonum" (the same build on a CPU
// without AVX2/FMA or with -tags purego: gonum's Sgemm) or "openblas"
// (built with -tags openblas, cgo and the system's OpenBLAS). Reports
// print it so that speed figures say which build produced them.
var BLAS = defaultBLAS()

func defaultBLAS() string {
	if gemm.Available() {
		return "gemm"
	}
	return "gonum"
}

// The default build multiplies with package gemm: in Gorgonia's graphs and
// in the first layer's gradient, which calls blas32 directly.
func init() {
	G.Use(gemm.Impl{})
	blas32.Use(gemm.Impl{})
}

// syncRuns makes graphs run on the calling goroutine (syncRunner).
const syncRuns = true

package trainer

import "github.com/ohemlab/ohemlab/trainer/internal/model"

// BLAS names the matrix product this binary multiplies with: "gemm" (the
// default pure-Go build, trainer/gemm's Sgemm), "gonum" (the same build
// without AVX2/FMA or with -tags purego) or "openblas" (built with -tags
// openblas, cgo and the system's OpenBLAS). Reports print it so that speed
// figures say which build produced them.
var BLAS = model.BLAS

package trainer

import "github.com/ohemlab/ohemlab/trainer/internal/model"

// BLAS names the matrix product this binary multiplies with: "gemm" (the
// default pure-Go build, trainer/gemm's Sgemm), "gonum" (the same build
// without AVX2/FMA or with -tags purego) or "openblas" (built with -tags
// openblas, cgo and the system's OpenBLAS). Reports print it so that speed
// figures say which build produced them.
var BLAS = model.BLAS

// SetSparseInputs chooses whether the first layer's products skip zero
// inputs on sparse batches such as MNIST's (the default, true) or always
// multiply densely; it returns the previous setting. Benchmarks use it to
// compare the two paths (bench/ohemstep -dense); training gives the same
// results either way, up to the order of floating-point additions.
func SetSparseInputs(on bool) bool { return model.SetSparseInputs(on) }

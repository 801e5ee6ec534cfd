//go:build !openblas

package model

// BLAS names the matrix-multiply library this binary was built with:
// "gonum" (pure Go, the default build) or "openblas" (built with
// -tags openblas, cgo and the system's OpenBLAS). Reports print it so that
// speed figures say which build produced them.
const BLAS = "gonum"

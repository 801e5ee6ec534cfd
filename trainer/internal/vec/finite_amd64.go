//go:build !purego

package vec

import "golang.org/x/sys/cpu"

// hasFiniteKernel reports whether allFiniteAVX2 can run here.
var hasFiniteKernel = cpu.X86.HasAVX2

// allFiniteAVX2 reports whether the n values at x (n a multiple of 32,
// > 0) are all finite (finite_amd64.s).
//
//go:noescape
func allFiniteAVX2(x *float32, n int) bool

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or -1.
// Where the CPU has AVX2 it checks 32 values at a time for an exponent of
// all ones and only searches in Go once it has found one.
func FirstNonFinite(x []float32) int {
	n := len(x) &^ 31
	if !hasFiniteKernel || n == 0 {
		return FirstNonFiniteGo(x)
	}
	if !allFiniteAVX2(&x[0], n) {
		return FirstNonFiniteGo(x[:n])
	}
	if i := FirstNonFiniteGo(x[n:]); i >= 0 {
		return n + i
	}
	return -1
}

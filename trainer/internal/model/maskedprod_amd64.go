//go:build !purego && !openblas

package model

import "golang.org/x/sys/cpu"

// The kernel is left out of the openblas build: a package that uses cgo
// cannot have Go assembly.

// hasMaskedKernel reports whether maskedProdAVX can run here.
var hasMaskedKernel = cpu.X86.HasAVX

// maskedProdAVX is maskedProd for n a multiple of 8 (maskedprod_amd64.s).
//
//go:noescape
func maskedProdAVX(out, v, x *float32, n int)

// maskedProd sets out[i] = v[i] · (1 if x[i] ≥ 0 else 0): the product with
// the 0/1 mask that Gorgonia's Rectify forms (NaN compares as 0), eight at
// a time where the CPU has AVX.
func maskedProd(out, v, x []float32) {
	out, v = out[:len(x)], v[:len(x)]
	n := len(x) &^ 7
	if hasMaskedKernel && n > 0 {
		maskedProdAVX(&out[0], &v[0], &x[0], n)
	}
	maskedProdGo(out[n:], v[n:], x[n:])
}

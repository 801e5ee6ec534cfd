//go:build !purego

package vec

import "golang.org/x/sys/cpu"

// hasKernel reports whether maskedAVX can run here.
var hasKernel = cpu.X86.HasAVX

// maskedAVX is MaskedProd for n a multiple of 8 (mask_amd64.s).
//
//go:noescape
func maskedAVX(out, v, x *float32, n int)

// MaskedProd sets out[i] = v[i] · (1 if x[i] ≥ 0 else 0): the product
// with the 0/1 mask that Gorgonia's Rectify forms (NaN compares as 0),
// eight at a time where the CPU has AVX. len(out) and len(v) must be at
// least len(x).
func MaskedProd(out, v, x []float32) {
	out, v = out[:len(x)], v[:len(x)]
	n := len(x) &^ 7
	if hasKernel && n > 0 {
		maskedAVX(&out[0], &v[0], &x[0], n)
	}
	MaskedProdGo(out[n:], v[n:], x[n:])
}

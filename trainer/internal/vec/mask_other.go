//go:build !amd64 || purego

package vec

// MaskedProd sets out[i] = v[i] · (1 if x[i] ≥ 0 else 0): the product
// with the 0/1 mask that Gorgonia's Rectify forms (NaN compares as 0).
func MaskedProd(out, v, x []float32) { MaskedProdGo(out, v, x) }

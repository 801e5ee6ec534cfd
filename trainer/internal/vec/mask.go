// Package vec holds float32 kernels for the training step: element-wise
// ones for the graphs' ops, the sparse first layer's (NonZeros,
// GatherAxpy) and the parameters' finiteness check, in Go assembly where
// the CPU allows, with Go loops they are tested against (and that other
// architectures and -tags purego use). It is its own package because a package that uses cgo (the
// model package in the openblas build) cannot have Go assembly.
package vec

// MaskedProdGo sets out[i] = v[i] · (1 if x[i] ≥ 0 else 0): the product
// with the 0/1 mask that Gorgonia's Rectify forms (NaN compares as 0),
// without a branch: the reference the vectorised MaskedProd is held to.
func MaskedProdGo(out, v, x []float32) {
	out, v = out[:len(x)], v[:len(x)]
	for i, xi := range x {
		var k int32
		if xi >= 0 {
			k = 1
		}
		out[i] = v[i] * float32(k)
	}
}

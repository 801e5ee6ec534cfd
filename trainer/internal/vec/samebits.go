package vec

import "math"

// SameBits reports whether a and b hold the same float32 values bit for bit
// (so NaN equals a NaN of the same payload and +0 differs from -0): the
// test of kernels that must compute exactly what the plain Go loop does.
func SameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

package vec

import "math"

// FirstNonFiniteGo returns the index of the first NaN or ±Inf in x, or
// -1: the reference FirstNonFinite is held to.
func FirstNonFiniteGo(x []float32) int {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}

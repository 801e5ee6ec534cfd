//go:build !amd64 || purego

package vec

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or -1.
func FirstNonFinite(x []float32) int { return FirstNonFiniteGo(x) }

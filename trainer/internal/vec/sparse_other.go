//go:build !amd64 || purego

package vec

// NonZeros writes the positions and values of x's non-zero entries (NaN
// counts as non-zero, ±0 as zero) to idx and vals, in order, and returns
// their number. idx and vals must hold len(x) entries.
func NonZeros(idx []int32, vals, x []float32) int { return NonZerosGo(idx, vals, x) }

// GatherAxpy adds alpha · Σ_e vals[e] · src[idx[e]·lds : idx[e]·lds+len(dst)]
// to dst (see GatherAxpyGo).
func GatherAxpy(dst []float32, alpha float32, idx []int32, vals, src []float32, lds int) {
	GatherAxpyGo(dst, alpha, idx, vals, src, lds)
}

// SparseKernels reports whether NonZeros and GatherAxpy run in assembly.
func SparseKernels() bool { return false }

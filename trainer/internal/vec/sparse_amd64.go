//go:build !purego

package vec

import "golang.org/x/sys/cpu"

// hasSparseKernel reports whether nonZerosAVX2 and gatherAxpy64 can run
// here.
var hasSparseKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasPOPCNT

// SparseKernels reports whether NonZeros and GatherAxpy run in assembly.
func SparseKernels() bool { return hasSparseKernel }

// compressLUT[m] lists, as bytes, the lanes whose bit is set in the 8-bit
// mask m, in order (then zeros): the permutation that packs the non-zero
// lanes of eight floats to the front.
var compressLUT = func() (t [256][8]uint8) {
	for m := range t {
		k := 0
		for lane := range 8 {
			if m&(1<<lane) != 0 {
				t[m][k] = uint8(lane)
				k++
			}
		}
	}
	return t
}()

// nonZerosAVX2 is NonZeros for n a multiple of 8, > 0 (sparse_amd64.s).
//
//go:noescape
func nonZerosAVX2(idx *int32, vals, x *float32, n int, lut *[256][8]uint8) int

// gatherAxpy64 is GatherAxpy for 64 columns and n > 0 entries, lds in
// bytes (sparse_amd64.s).
//
//go:noescape
func gatherAxpy64(n int, idx *int32, vals, src *float32, lds int, dst *float32, alpha float32)

// NonZeros writes the positions and values of x's non-zero entries (NaN
// counts as non-zero, ±0 as zero) to idx and vals, in order, and returns
// their number. idx and vals must hold len(x) entries.
func NonZeros(idx []int32, vals, x []float32) int {
	idx, vals = idx[:len(x)], vals[:len(x)]
	n := len(x) &^ 7
	if !hasSparseKernel || n == 0 {
		return NonZerosGo(idx, vals, x)
	}
	k := nonZerosAVX2(&idx[0], &vals[0], &x[0], n, &compressLUT)
	for p := n; p < len(x); p++ {
		if v := x[p]; v != 0 {
			idx[k], vals[k] = int32(p), v
			k++
		}
	}
	return k
}

// GatherAxpy adds alpha · Σ_e vals[e] · src[idx[e]·lds : idx[e]·lds+len(dst)]
// to dst (see GatherAxpyGo), 64 columns at a time in assembly where the
// CPU allows. It panics if an entry's row of src is out of range.
func GatherAxpy(dst []float32, alpha float32, idx []int32, vals, src []float32, lds int) {
	if !hasSparseKernel || len(dst) < gatherBlock || len(idx) == 0 {
		GatherAxpyGo(dst, alpha, idx, vals, src, lds)
		return
	}
	checkGather(len(dst), idx, vals, src, lds)
	c0 := 0
	for ; c0+gatherBlock <= len(dst); c0 += gatherBlock {
		gatherAxpy64(len(idx), &idx[0], &vals[0], &src[c0], lds*4, &dst[c0], alpha)
	}
	if c0 < len(dst) {
		// The last columns: src starts at column c0, so its rows stay in
		// range.
		GatherAxpyGo(dst[c0:], alpha, idx, vals, src[c0:], lds)
	}
}

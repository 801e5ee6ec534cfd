package vec

// Sparse kernels for the first layer of a network whose inputs are mostly
// zero (MNIST: about a fifth of the pixels are non-zero): NonZeros lists a
// row's non-zero entries, GatherAxpy adds a combination of rows selected
// by such a list. The Go loops here are the reference the assembly is
// tested against and the kernels of other architectures and -tags purego.

// NonZerosGo writes the positions and values of x's non-zero entries
// (NaN counts as non-zero, ±0 as zero) to idx and vals, in order, and
// returns their number. idx and vals must hold len(x) entries.
func NonZerosGo(idx []int32, vals, x []float32) int {
	idx, vals = idx[:len(x)], vals[:len(x)]
	n := 0
	for p, v := range x {
		if v != 0 {
			idx[n], vals[n] = int32(p), v
			n++
		}
	}
	return n
}

// GatherAxpyGo adds alpha · Σ_e vals[e] · src[idx[e]·lds : idx[e]·lds+len(dst)]
// to dst: a product of one sparse row (the entries idx, vals) with the
// row-major matrix src of leading dimension lds. Each column's sum runs
// over the entries in order and is added to dst once, scaled by alpha. It
// panics if an entry's row of src is out of range.
func GatherAxpyGo(dst []float32, alpha float32, idx []int32, vals, src []float32, lds int) {
	vals = vals[:len(idx)]
	var acc [gatherBlock]float32
	for c0 := 0; c0 < len(dst); c0 += gatherBlock {
		w := min(gatherBlock, len(dst)-c0)
		a := acc[:w]
		clear(a)
		for e, p := range idx {
			v := vals[e]
			row := src[int(p)*lds+c0 : int(p)*lds+c0+w]
			for j, s := range row {
				a[j] += v * s
			}
		}
		d := dst[c0 : c0+w]
		for j, s := range a {
			d[j] += alpha * s
		}
	}
}

// gatherBlock is the number of columns GatherAxpy sums at a time (eight
// AVX registers of accumulators in the assembly kernel).
const gatherBlock = 64

// checkGather panics unless every entry's row of src, lds wide, holds
// width columns: the assembly reads without bounds checks.
func checkGather(width int, idx []int32, vals, src []float32, lds int) {
	if len(vals) < len(idx) {
		panic("vec: GatherAxpy with fewer values than indices")
	}
	if width == 0 || len(idx) == 0 {
		return
	}
	if lds < width {
		panic("vec: GatherAxpy with a leading dimension narrower than the row")
	}
	rows := (len(src) - width + lds) / lds // rows r with r*lds+width <= len(src)
	for _, p := range idx {
		if uint(p) >= uint(rows) {
			panic("vec: GatherAxpy index out of range")
		}
	}
}

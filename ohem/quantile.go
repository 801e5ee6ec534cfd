package ohem

import (
	"math"
	"slices"
	"sync"
)

// Quantiles appends to dst[:0] the quantiles of losses at the probabilities
// ps and returns the extended slice: one value per p, by linear
// interpolation between the closest ranks (the "type 7" definition, as
// NumPy's default): for n sorted values x, the p-quantile is
// x[h] + (h - floor h)(x[h+1] - x[h]) with h = (n-1)p, so p = 0 gives the
// minimum and p = 1 the maximum.
//
// Quantiles sorts a copy of losses in a buffer taken from a pool, so in
// steady state it does not allocate when cap(dst) >= len(ps). Callers that
// already hold the losses sorted can call SortedQuantiles instead.
//
// Quantiles panics if losses is empty or a p is outside [0, 1]. Losses
// should be finite (see CheckFinite); NaNs sort below every number.
func Quantiles(dst []float64, losses []float64, ps []float64) []float64 {
	buf := sortBufs.Get().(*[]float64)
	sorted := append((*buf)[:0], losses...)
	slices.Sort(sorted)
	dst = SortedQuantiles(dst, sorted, ps)
	*buf = sorted
	sortBufs.Put(buf)
	return dst
}

// sortBufs holds scratch buffers for Quantiles.
var sortBufs = sync.Pool{New: func() any { return new([]float64) }}

// SortedQuantiles is Quantiles for losses already sorted in increasing
// order; it does not allocate when cap(dst) >= len(ps).
//
// SortedQuantiles panics if sorted is empty or a p is outside [0, 1]. It
// does not check that sorted is sorted.
func SortedQuantiles(dst []float64, sorted []float64, ps []float64) []float64 {
	if len(sorted) == 0 {
		panic("ohem: Quantiles: no losses")
	}
	dst = dst[:0]
	last := len(sorted) - 1
	for _, p := range ps {
		if !(p >= 0 && p <= 1) {
			panic("ohem: Quantiles: p out of range [0, 1]")
		}
		h := float64(last) * p
		lo := int(math.Floor(h))
		if lo >= last {
			dst = append(dst, sorted[last])
			continue
		}
		frac := h - float64(lo)
		a, b := sorted[lo], sorted[lo+1]
		if frac == 0 || a == b {
			dst = append(dst, a)
			continue
		}
		dst = append(dst, a+frac*(b-a))
	}
	return dst
}

package ohem

import (
	"math"
	"math/bits"
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
// Quantiles finds the few ranks it needs in a copy of losses (in a
// buffer taken from a pool) by selection rather than a full sort (see
// selectRanks; the values are the same as sorting's), so in steady state
// it does not allocate when cap(dst) >= len(ps). Callers that already
// hold the losses sorted can call SortedQuantiles instead.
//
// Quantiles panics if losses is empty or a p is outside [0, 1]. Losses
// should be finite (see CheckFinite); NaNs sort below every number.
func Quantiles(dst []float64, losses []float64, ps []float64) []float64 {
	buf := sortBufs.Get().(*[]float64)
	x := append((*buf)[:0], losses...)
	var ranks [2 * maxSelectPs]int
	if r, ok := quantileRanks(ranks[:0], len(x), ps); ok && !hasNaN(x) {
		selectRanks(x, r)
	} else {
		slices.Sort(x)
	}
	dst = SortedQuantiles(dst, x, ps)
	*buf = x
	sortBufs.Put(buf)
	return dst
}

// maxSelectPs is the most probabilities Quantiles finds by selection; with
// more it sorts.
const maxSelectPs = 8

// quantileRanks appends to dst the ranks (0-based, increasing, each once)
// that SortedQuantiles reads for n values at the probabilities ps: the
// closest rank below each p's position and the one above. ok is false
// when there are more than maxSelectPs probabilities or one is outside
// [0, 1] (SortedQuantiles panics on those).
func quantileRanks(dst []int, n int, ps []float64) (ranks []int, ok bool) {
	if len(ps) > maxSelectPs || n == 0 {
		return dst, false
	}
	last := n - 1
	for _, p := range ps {
		if !(p >= 0 && p <= 1) {
			return dst, false
		}
		lo := int(math.Floor(float64(last) * p))
		if lo >= last {
			dst = append(dst, last)
			continue
		}
		dst = append(dst, lo, lo+1)
	}
	slices.Sort(dst)
	return slices.Compact(dst), true
}

// hasNaN reports whether x holds a NaN (Quantiles then sorts, which puts
// NaNs first).
func hasNaN(x []float64) bool {
	for _, v := range x {
		if v != v {
			return true
		}
	}
	return false
}

// selectRanks reorders x (no NaNs) so that x[r] is the value of rank r of
// x in increasing order, as after sorting, for every r of ranks
// (increasing, each once): it selects the middle rank, which splits x into
// the values at or below it and those at or above it, and goes on in each
// part with the ranks inside it. For the five quantiles of a batch's
// losses that is a few passes over K values instead of a sort.
func selectRanks(x []float64, ranks []int) {
	selectRanksIn(x, 0, len(x), ranks)
}

func selectRanksIn(x []float64, lo, hi int, ranks []int) {
	for len(ranks) > 0 && hi-lo > 1 {
		if hi-lo <= smallSelect {
			insertionSortFloats(x[lo:hi])
			return
		}
		i := len(ranks) / 2
		r := ranks[i]
		nthElement(x, lo, hi, r)
		selectRanksIn(x, lo, r, ranks[:i])
		lo, ranks = r+1, ranks[i+1:]
	}
}

// smallSelect is the part size that is sorted by insertion instead of
// partitioned further.
const smallSelect = 8

// nthElement reorders x[lo:hi] so that x[r] holds the value of rank r-lo
// of x[lo:hi], the values before it are at most x[r] and those after it at
// least x[r]. It partitions around a median of three without branches on
// the comparisons (a new batch's losses would mispredict half of them), and
// after a number of rounds that only unlucky input exceeds sorts the rest,
// so that the worst case stays O(n log n).
func nthElement(x []float64, lo, hi, r int) {
	for rounds := 2 * bits.Len(uint(hi-lo)); hi-lo > smallSelect; rounds-- {
		if rounds == 0 {
			slices.Sort(x[lo:hi])
			return
		}
		m := int(uint(lo+hi-1) >> 1)
		// The median of x[lo], x[m], x[hi-1] goes to x[hi-1].
		a, b, c := x[lo], x[m], x[hi-1]
		if b < a {
			a, b = b, a
		}
		if c < b {
			b, c = c, b
			if b < a {
				a, b = b, a
			}
		}
		x[lo], x[m], x[hi-1] = a, c, b
		p := b
		j := lo
		for i := lo; i < hi-1; i++ {
			v := x[i]
			x[i] = x[j]
			x[j] = v
			j += less(v, p)
		}
		x[hi-1], x[j] = x[j], p
		// x[lo:j] < p = x[j] <= x[j+1:hi]
		switch {
		case r < j:
			hi = j
		case r == j:
			return
		case j == lo:
			// p is the least value: put the values equal to it first, so
			// that many equal values cannot make this quadratic.
			for i := j + 1; i < hi; i++ {
				v := x[i]
				x[i] = x[j+1]
				x[j+1] = v
				j += 1 - less(p, v)
			}
			// x[lo:j+1] == p < x[j+1:hi]
			if r <= j {
				return
			}
			lo = j + 1
		default:
			lo = j + 1
		}
	}
	insertionSortFloats(x[lo:hi])
}

// less is 1 when a < b, else 0, computed without a branch.
func less(a, b float64) int {
	var d int
	if a < b {
		d = 1
	}
	return d
}

// insertionSortFloats sorts a few values (no NaNs) in increasing order.
func insertionSortFloats(x []float64) {
	for i := 1; i < len(x); i++ {
		v := x[i]
		j := i
		for ; j > 0 && v < x[j-1]; j-- {
			x[j] = x[j-1]
		}
		x[j] = v
	}
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

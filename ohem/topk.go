package ohem

import (
	"math"
	"math/bits"
)

// TopKIndices appends to dst[:0] the indices of the m highest losses in
// increasing index order and returns the extended slice. Ties are broken by
// the lower index, so the result is a deterministic function of losses.
// It runs in average O(len(losses)) time (introselect, not a full sort).
//
// dst serves as scratch space for len(losses) indices: when
// cap(dst) >= len(losses) TopKIndices does not allocate.
//
// TopKIndices panics if m < 0 or m > len(losses). The losses must not be
// NaN (see CheckFinite); with NaNs the result is some m distinct indices.
//
// (The name TopK belongs to the strategy constant.)
func TopKIndices(dst []int, losses []float64, m int) []int {
	if m < 0 || m > len(losses) {
		panic("ohem: TopKIndices: m out of range [0, len(losses)]")
	}
	dst = dst[:0]
	for i := range losses {
		dst = append(dst, i)
	}
	selectTop(dst, losses, m)
	return compactSorted(dst, m)
}

// marked is the bit compactSorted sets to mark an index; indices are never negative.
const marked = math.MinInt

// compactSorted takes a permutation p of 0..len(p)-1 and returns p[:m]
// holding the values of p[:m] in increasing order, in O(len(p)) time and
// no extra space: value v is marked by setting the marked bit of p[v], then
// the marked positions are collected in order. Writes go to positions
// already read, so the scan never sees a value it wrote.
func compactSorted(p []int, m int) []int {
	for _, v := range p[:m] {
		v &^= marked
		p[v] |= marked
	}
	out := 0
	for v, x := range p {
		if x&marked != 0 {
			p[out] = v
			out++
		}
	}
	return p[:out]
}

// before reports whether example a ranks before example b: a higher loss,
// or an equal loss and a lower index. It is a strict total order on indices
// when the losses are not NaN.
func before(losses []float64, a, b int) bool {
	la, lb := losses[a], losses[b]
	return la > lb || (la == lb && a < b)
}

// selectTop permutes idx so that idx[:m] hold the m indices that rank first
// (see before), in no particular order. It is an introselect: quickselect
// with median-of-three pivots that falls back to heap selection when the
// recursion gets too deep, so the worst case stays O(n log n).
func selectTop(idx []int, losses []float64, m int) {
	selectTopBudget(idx, losses, m, 2*bits.Len(uint(len(idx))))
}

// selectTopBudget is selectTop with at most budget partitioning rounds
// before the heap fallback.
func selectTopBudget(idx []int, losses []float64, m, budget int) {
	lo, hi := 0, len(idx)
	if m <= 0 || m >= hi {
		return
	}
	for hi-lo > 12 {
		if budget == 0 {
			heapSelect(idx[lo:hi], losses, m-lo)
			return
		}
		budget--
		p := lo + partition(idx[lo:hi], losses)
		switch {
		case p == m || p+1 == m:
			return
		case m < p:
			hi = p
		default:
			lo = p + 1
		}
	}
	insertionSort(idx[lo:hi], losses)
}

// partition partitions idx around a median-of-three pivot and returns the
// pivot's final position p: idx[:p] rank before it, idx[p+1:] after it.
func partition(idx []int, losses []float64) int {
	n := len(idx)
	a, b, c := 0, n/2, n-1
	// Order idx[a], idx[b], idx[c] so the median lands in b.
	if before(losses, idx[b], idx[a]) {
		idx[a], idx[b] = idx[b], idx[a]
	}
	if before(losses, idx[c], idx[b]) {
		idx[b], idx[c] = idx[c], idx[b]
		if before(losses, idx[b], idx[a]) {
			idx[a], idx[b] = idx[b], idx[a]
		}
	}
	// Move the pivot to the end, then partition the rest from both ends
	// (Hoare's scheme: one swap per pair of misplaced elements).
	idx[b], idx[n-1] = idx[n-1], idx[b]
	pv := idx[n-1]
	pl := losses[pv]
	// ranksBefore reports whether x ranks before the pivot.
	ranksBefore := func(x int) bool {
		lx := losses[x]
		return lx > pl || (lx == pl && x < pv)
	}
	i, j := 0, n-2
	for {
		for i <= j && ranksBefore(idx[i]) {
			i++
		}
		for i <= j && !ranksBefore(idx[j]) {
			j--
		}
		if i >= j {
			break
		}
		idx[i], idx[j] = idx[j], idx[i]
		i++
		j--
	}
	idx[i], idx[n-1] = idx[n-1], idx[i]
	return i
}

// insertionSort sorts a short idx by rank (see before).
func insertionSort(idx []int, losses []float64) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && before(losses, idx[j], idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

// heapSelect permutes idx so that idx[:m] hold the m indices that rank
// first, in O(n log m): a heap of the m best seen so far whose root is the
// worst of them.
func heapSelect(idx []int, losses []float64, m int) {
	if m <= 0 || m >= len(idx) {
		return
	}
	h := idx[:m]
	for i := m/2 - 1; i >= 0; i-- {
		siftDown(h, losses, i)
	}
	for i := m; i < len(idx); i++ {
		if before(losses, idx[i], h[0]) {
			h[0], idx[i] = idx[i], h[0]
			siftDown(h, losses, 0)
		}
	}
}

// siftDown restores the heap property below node i of h, a heap whose root
// ranks last.
func siftDown(h []int, losses []float64, i int) {
	n := len(h)
	for {
		worst := i
		l, r := 2*i+1, 2*i+2
		if l < n && before(losses, h[worst], h[l]) {
			worst = l
		}
		if r < n && before(losses, h[worst], h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

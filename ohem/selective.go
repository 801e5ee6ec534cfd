package ohem

import (
	"math"
	"slices"
)

// selective adds the batch's losses to the rolling history, then marks each
// example with probability percentile^Beta, where percentile is the share of
// the history that is at most its loss (the batch is part of the history,
// so the first batch is ranked against itself). When no example is drawn it
// marks the one with the highest loss, ties to the lower index.
func (s *Selector) selective(keep []bool, losses []float64) {
	s.hist.push(losses)
	sorted := s.hist.sorted()
	n := float64(len(sorted))
	beta := s.p.Beta
	intBeta := beta == math.Trunc(beta) && beta <= 8
	kept := 0
	for i, l := range losses {
		pct := float64(upperBound(sorted, l)) / n
		var prob float64
		if intBeta {
			prob = 1
			for j := 0; j < int(beta); j++ {
				prob *= pct
			}
		} else {
			prob = math.Pow(pct, beta)
		}
		if s.rng.Float64() < prob {
			keep[i] = true
			kept++
		}
	}
	if kept == 0 {
		best := 0
		for i, l := range losses {
			if l > losses[best] {
				best = i
			}
		}
		keep[best] = true
	}
}

// upperBound returns the number of elements of the ascending slice a that
// are at most x. The loop has no data-dependent branch (the comparison
// becomes a 0/1 value that scales the step), which matters when the probes
// are unpredictable, as they are here.
func upperBound(a []float64, x float64) int {
	n := len(a)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n / 2
		base += half * atMost(a[base+half], x)
		n -= half
	}
	return base + atMost(a[base], x)
}

// atMost returns 1 if v <= x and 0 otherwise.
func atMost(v, x float64) int {
	r := 0
	if v <= x {
		r = 1
	}
	return r
}

// history is a ring of the most recent losses with a sorted copy that is
// kept up to date by merging, so a batch of K losses costs O(H + K log K)
// rather than a sort of the whole history.
type history struct {
	ring []float64 // len = capacity; holds n losses, oldest at slot (next-n) mod len
	n    int       // number of losses held
	next int       // slot the next loss goes to
	srt  []float64 // the n held losses in increasing order
	tmp  []float64 // scratch: the merge target, swapped with srt
	out  []float64 // scratch: sorted evicted losses
	in   []float64 // scratch: sorted incoming losses
}

// resize sets the capacity to size, keeping the newest losses.
func (h *history) resize(size int) {
	if size == len(h.ring) {
		return
	}
	keep := min(h.n, size)
	ring := make([]float64, size)
	// Copy the newest keep losses, oldest first.
	for j := 0; j < keep; j++ {
		ring[j] = h.ring[(h.next-keep+j+2*len(h.ring))%len(h.ring)]
	}
	h.ring, h.n, h.next = ring, keep, keep%size
	h.srt = append(make([]float64, 0, size), ring[:keep]...)
	slices.Sort(h.srt)
	h.tmp = make([]float64, 0, size)
}

// reset forgets every loss.
func (h *history) reset() { h.n, h.next, h.srt = 0, 0, h.srt[:0] }

// push appends losses, dropping the oldest beyond the capacity.
func (h *history) push(losses []float64) {
	size := len(h.ring)
	if len(losses) >= size {
		copy(h.ring, losses[len(losses)-size:])
		h.n, h.next = size, 0
		h.srt = append(h.srt[:0], h.ring...)
		slices.Sort(h.srt)
		return
	}
	// The losses about to be overwritten, oldest first.
	h.out = grow(h.out, size)
	if drop := h.n + len(losses) - size; drop > 0 {
		first := (h.next - h.n + size) % size
		for j := 0; j < drop; j++ {
			h.out = append(h.out, h.ring[(first+j)%size])
		}
		slices.Sort(h.out)
	}
	for _, l := range losses {
		h.ring[h.next] = l
		h.next++
		if h.next == size {
			h.next = 0
		}
	}
	h.n = min(h.n+len(losses), size)
	h.in = append(grow(h.in, len(losses)), losses...)
	slices.Sort(h.in)
	h.tmp = mergeDiff(h.tmp[:0], h.srt, h.out, h.in)
	h.srt, h.tmp = h.tmp, h.srt
}

// mergeDiff appends to dst the sorted multiset (old - out) + in, where old,
// out and in are sorted and out is contained in old.
func mergeDiff(dst, old, out, in []float64) []float64 {
	o, j := 0, 0
	for _, x := range old {
		if o < len(out) && out[o] == x {
			o++
			continue
		}
		for j < len(in) && in[j] < x {
			dst = append(dst, in[j])
			j++
		}
		dst = append(dst, x)
	}
	return append(dst, in[j:]...)
}

// sorted returns the held losses in increasing order. The slice is owned by
// the history and changes with the next push.
func (h *history) sorted() []float64 { return h.srt }

// grow returns buf emptied, with capacity for at least n values.
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, 0, n)
	}
	return buf[:0]
}

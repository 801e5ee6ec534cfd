package ohem

import "math"

// hardneg marks, for a two-class task, the positives (label Positive) with
// the highest losses, at most M of them, and the negatives (every other
// label) with the highest losses: floor(NegPos × positives kept) of them,
// at least MinNeg and at most all negatives (SSD's hard negative mining).
func (s *Selector) hardneg(keep []bool, losses []float64, labels []int) {
	pos := *s.p.Positive
	idx := s.indices(len(losses))
	// Positives to the front, negatives to the back.
	np := 0
	for i, l := range labels {
		if l == pos {
			idx[np] = i
			np++
		}
	}
	nn := len(labels) - np
	back := np
	for i, l := range labels {
		if l != pos {
			idx[back] = i
			back++
		}
	}
	kp := min(np, s.p.M)
	// The epsilon keeps products like 0.29 × 100 from rounding down to 28.
	kn := int(math.Floor(s.p.NegPos*float64(kp) + 1e-9))
	kn = min(max(kn, s.p.MinNeg), nn)
	selectTop(idx[:np], losses, kp)
	selectTop(idx[np:], losses, kn)
	for _, i := range idx[:kp] {
		keep[i] = true
	}
	for _, i := range idx[np : np+kn] {
		keep[i] = true
	}
}

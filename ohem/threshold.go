package ohem

// threshold marks the examples whose true-class probability is below
// Thresh. When fewer than MinKept qualify it marks instead the MinKept
// examples with the lowest probability, ties to the lower index (the floor
// of mmsegmentation's OHEM pixel sampler).
func (s *Selector) threshold(keep []bool, probs []float64) {
	n := 0
	for i, p := range probs {
		if p < s.p.Thresh {
			keep[i] = true
			n++
		}
	}
	if n >= s.p.MinKept {
		return
	}
	clear(keep)
	// The lowest probabilities are the highest negated probabilities.
	if cap(s.key) < len(probs) {
		s.key = make([]float64, len(probs))
	}
	key := s.key[:len(probs)]
	for i, p := range probs {
		key[i] = -p
	}
	s.topk(keep, key, s.p.MinKept)
}

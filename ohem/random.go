package ohem

// random marks M indices drawn uniformly at random without replacement
// from 0..k-1 (Floyd's algorithm: exactly M draws, every M-subset equally
// likely).
func (s *Selector) random(keep []bool) {
	k := len(keep)
	for j := k - s.p.M; j < k; j++ {
		t := s.rng.IntN(j + 1)
		if keep[t] {
			t = j
		}
		keep[t] = true
	}
}

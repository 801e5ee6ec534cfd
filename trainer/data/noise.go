package data

// applyLabelNoise sets s.CleanY to the training labels, then flips exactly
// round(frac*NumTrain) of s.TrainY, chosen with the seed, each to a class
// drawn uniformly among the other classes, and records them in s.Flipped.
// s.TrainY is replaced by a fresh slice (it may be shared before). Test
// labels are never touched.
func applyLabelNoise(s *Set, frac float64, seed int64) {
	n := len(s.TrainY)
	s.CleanY = s.TrainY
	s.TrainY = append([]int32(nil), s.CleanY...)
	s.Flipped = make([]bool, n)
	k := classCount(n, frac)
	if k == 0 || s.Classes < 2 {
		return
	}
	r := newRand(seed, streamNoise)
	for _, i := range choose(r, n, k) {
		c := int(s.CleanY[i])
		s.TrainY[i] = int32((c + 1 + r.IntN(s.Classes-1)) % s.Classes)
		s.Flipped[i] = true
	}
}

// FlippedFrac returns the share of training labels flipped by label noise.
func (s *Set) FlippedFrac() float64 {
	if len(s.Flipped) == 0 {
		return 0
	}
	k := 0
	for _, f := range s.Flipped {
		if f {
			k++
		}
	}
	return float64(k) / float64(len(s.Flipped))
}

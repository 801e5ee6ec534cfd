package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// loadDetect builds mnist-detect: PosDigit (class 1) against every other
// digit (class 0), subsampled so that positives are PosFrac of each part.
// The kept examples stay in MNIST order.
func loadDetect(cfg Config, seed int64) (*Set, error) {
	m, err := cachedMNIST(cfg.Dir)
	if err != nil {
		return nil, err
	}
	d := int32(*cfg.PosDigit)
	r := newRand(seed, streamDetect)
	dim := m.w * m.h
	s := &Set{
		Name: MNISTDetect, Classes: 2, Dim: dim, ImageW: m.w, ImageH: m.h,
		ClassNames: []string{"other", strconv.Itoa(int(d))},
	}
	s.TrainX, s.TrainY, err = detectPart(m.trainX, m.trainY, dim, d, cfg.PosFrac, r)
	if err != nil {
		return nil, fmt.Errorf("mnist-detect training set: %w", err)
	}
	s.TestX, s.TestY, err = detectPart(m.testX, m.testY, dim, d, cfg.PosFrac, r)
	if err != nil {
		return nil, fmt.Errorf("mnist-detect test set: %w", err)
	}
	return s, nil
}

// detectPart relabels y as digit-vs-rest and subsamples the side in
// excess so that positives make up frac of the result (keeping as many
// examples as possible).
func detectPart(x []float32, y []int32, dim int, digit int32, frac float64, r *rand.Rand) ([]float32, []int32, error) {
	var pos, neg []int
	for i, c := range y {
		if c == digit {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	if len(pos) == 0 {
		return nil, nil, fmt.Errorf("no examples of digit %d", digit)
	}
	np, nn := len(pos), len(neg)
	if float64(np) > frac*float64(np+nn) {
		np = int(math.Round(frac * float64(nn) / (1 - frac)))
	} else {
		nn = int(math.Round(float64(np) * (1 - frac) / frac))
	}
	if np < 1 || nn < 1 {
		return nil, nil, fmt.Errorf("data.pos_frac %v leaves %d positives and %d negatives: need at least one of each", frac, np, nn)
	}
	keep := subsample(pos, np, r)
	keep = append(keep, subsample(neg, nn, r)...)
	slices.Sort(keep)
	gx := make([]float32, 0, len(keep)*dim)
	gy := make([]int32, len(keep))
	for k, i := range keep {
		gx = append(gx, x[i*dim:(i+1)*dim]...)
		if y[i] == digit {
			gy[k] = 1
		}
	}
	return gx, gy, nil
}

// subsample returns k of idx chosen at random (all of them if k >= len).
func subsample(idx []int, k int, r *rand.Rand) []int {
	if k >= len(idx) {
		return slices.Clone(idx)
	}
	out := make([]int, k)
	for j, c := range choose(r, len(idx), k) {
		out[j] = idx[c]
	}
	return out
}

package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
)

// detectKey identifies one mnist-detect subsample.
type detectKey struct {
	dir   string
	digit int
	frac  float64
	seed  int64
}

// lastDetect keeps the most recent mnist-detect set: resets with the same
// config are then instant, and while that set is in use the cache costs no
// memory (the trainer's Set shares its slices).
var lastDetect struct {
	sync.Mutex
	key detectKey
	set *Set
}

// loadDetect returns mnist-detect for a defaulted cfg, from the one-entry
// cache or built afresh. The returned Set is a fresh struct sharing the
// cached, read-only slices; Load copies the training labels.
func loadDetect(cfg Config, seed int64) (*Set, error) {
	m, err := cachedMNIST(cfg.Dir)
	if err != nil {
		return nil, err
	}
	key := detectKey{dir: m.dir, digit: *cfg.PosDigit, frac: cfg.PosFrac, seed: seed}
	lastDetect.Lock()
	defer lastDetect.Unlock()
	if lastDetect.set == nil || lastDetect.key != key {
		s, err := buildDetect(m, key.digit, key.frac, seed)
		if err != nil {
			return nil, err
		}
		lastDetect.key, lastDetect.set = key, s
	}
	s := *lastDetect.set
	s.ClassNames = slices.Clone(s.ClassNames)
	return &s, nil
}

// buildDetect builds mnist-detect: digit (class 1) against every other
// digit (class 0), subsampled so that positives are frac of each part.
// The kept examples stay in MNIST order.
func buildDetect(m *mnistData, digit int, frac float64, seed int64) (*Set, error) {
	d := int32(digit)
	r := newRand(seed, streamDetect)
	dim := m.w * m.h
	s := &Set{
		Name: MNISTDetect, Classes: 2, Dim: dim, ImageW: m.w, ImageH: m.h,
		ClassNames: []string{"other", strconv.Itoa(digit)},
	}
	var err error
	s.TrainPix, s.TrainY, err = detectPart(m.trainX, m.trainY, dim, d, frac, r)
	if err != nil {
		return nil, fmt.Errorf("mnist-detect training set: %w", err)
	}
	s.TestPix, s.TestY, err = detectPart(m.testX, m.testY, dim, d, frac, r)
	if err != nil {
		return nil, fmt.Errorf("mnist-detect test set: %w", err)
	}
	return s, nil
}

// detectPart relabels y as digit-vs-rest and subsamples the side in
// excess so that positives make up frac of the result (keeping as many
// examples as possible).
func detectPart(x []byte, y []int32, dim int, digit int32, frac float64, r *rand.Rand) ([]byte, []int32, error) {
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
	gx := make([]byte, 0, len(keep)*dim)
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

package ohem

import (
	"fmt"
	"math"
)

// CheckFinite returns an error naming the first loss that is NaN or
// infinite, and nil when every loss is finite. A non-finite loss usually
// means training has diverged; selecting from such a batch would be a
// silent, meaningless pick.
func CheckFinite(losses []float64) error {
	for i, l := range losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return fmt.Errorf("ohem: loss %d of %d is %v: losses must be finite", i, len(losses), l)
		}
	}
	return nil
}

// checkProbs returns an error naming the first probability that is not a
// finite number in [0, 1]. Callers clamp float rounding themselves, e.g.
// p = exp(min(log p, 0)).
func checkProbs(probs []float64) error {
	for i, p := range probs {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("ohem: true-class probability %d of %d is %v: want 0 <= p <= 1", i, len(probs), p)
		}
	}
	return nil
}

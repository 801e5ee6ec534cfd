package ohem

import "fmt"

// MForRatio returns the M that keeps the share ratio of a batch of k
// examples: int(ratio*k), truncated as NLL_OHEM(ratio) does, but at least
// 1. It returns an error unless 0 < ratio <= 1 and k >= 1.
func MForRatio(ratio float64, k int) (int, error) {
	if !(ratio > 0 && ratio <= 1) {
		return 0, fmt.Errorf("ohem: ratio = %v out of range: want 0 < ratio <= 1", ratio)
	}
	if k < 1 {
		return 0, fmt.Errorf("ohem: k = %d out of range: want k >= 1", k)
	}
	return max(1, int(ratio*float64(k))), nil
}

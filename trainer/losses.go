package trainer

import "math"

// exampleLosses computes from log-probabilities (n x c, row-major) and the
// labels each example's loss, true-class probability and argmax prediction,
// exactly as the training graph defines the loss: cross-entropy, times
// (1-p_t)^gamma for focal loss (1-p_t summed over the other classes), times
// alpha for class 1 and 1-alpha otherwise when alpha > 0.
//
// losses, probs and preds must have length n = len(labels).
func exampleLosses(losses, probs []float64, preds []int32, logp []float32, labels []int, c int, gamma, alpha float64) {
	for i, y := range labels {
		row := logp[i*c : (i+1)*c]
		best := 0
		for j := 1; j < c; j++ {
			if row[j] > row[best] {
				best = j
			}
		}
		preds[i] = int32(best)
		// float32 rounding can leave log p_y a hair above 0.
		lp := min(float64(row[y]), 0)
		probs[i] = math.Exp(lp)
		loss := 0 - lp // +0, not -0, for a certain example
		if gamma > 0 {
			q := 0.0
			for j, v := range row {
				if j != y {
					q += math.Exp(float64(v))
				}
			}
			loss *= math.Pow(q, gamma)
		}
		if alpha > 0 {
			loss *= alphaFor(y, alpha)
		}
		losses[i] = loss
	}
}

// alphaFor is the focal alpha weight of label y: alpha for class 1, 1-alpha
// for every other class.
func alphaFor(y int, alpha float64) float64 {
	if y == 1 {
		return alpha
	}
	return 1 - alpha
}

// fillOneHot writes the one-hot rows of labels into dst (len(labels) x c).
func fillOneHot(dst []float32, labels []int, c int) {
	clear(dst)
	for i, y := range labels {
		dst[i*c+y] = 1
	}
}

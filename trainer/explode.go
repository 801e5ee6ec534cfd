package trainer

import "math"

// explodeFactor is how far the mean loss of a batch may rise above the
// arm's starting loss before the step counts as a divergence. With a
// numerically stable log-softmax an absurd learning rate rarely produces
// NaN: the loss shoots up by orders of magnitude (MNIST at lr 50: from 2.3
// to about 16,000 on the second step) and the ReLUs then die with the loss
// stuck far above chance. Healthy runs stay well below it (MNIST at lr 3,
// itself too high, peaks at about 75, i.e. 33 times ln 10).
const explodeFactor = 100

// lossExploded reports whether the mean of the first k losses of the
// current step exceeds explodeFactor times the arm's reference loss, and
// returns both. The first call sets the reference: the larger of that
// batch's mean and ln c, the loss of a uniform guess over c classes, so
// that data whose first losses are already large (unscaled features) is
// not flagged for them.
func (a *arm) lossExploded(k, c int) (mean, ref float64, exploded bool) {
	var sum float64
	for _, l := range a.losses[:k] {
		sum += l
	}
	mean = sum / float64(k)
	if a.refLoss == 0 {
		a.refLoss = math.Max(mean, math.Log(float64(max(c, 2))))
		return mean, a.refLoss, false
	}
	return mean, a.refLoss, mean > explodeFactor*a.refLoss
}

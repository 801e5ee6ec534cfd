// Package ohem selects which examples of a batch to backpropagate.
//
// It implements Online Hard Example Mining (Shrivastava et al. 2016) and
// the variants people compare it with: the plain baseline, a random control
// with the same backprop budget, a loss threshold with a floor, hard
// negatives at a fixed negative:positive ratio and loss-percentile sampling
// (Selective-Backprop). It is pure Go numerics: no Gorgonia, no project
// imports.
//
// A Selector is made by New from Params and a seed. For each batch,
// Select takes the per-example losses (and, for some strategies, labels or
// true-class probabilities) and returns the indices to backpropagate, in
// increasing order, with weights that sum to 1: the loss to backpropagate
// is the weighted sum of the kept losses. Every kept example gets the same
// weight. The same params, seed and batches always give the same
// selections; ties in loss go to the lower index.
//
// Bad data (NaN or infinite losses, an empty batch, M > K, missing or
// mismatched slices) is an error naming the problem. Programmer errors in
// the numeric helpers (TopKIndices, Quantiles) panic with an "ohem: "
// prefix, in the style of gonum's stat package: output slice first,
// preconditions in the doc comment.
package ohem

// Strategy names accepted by Params.Strategy.
const (
	// All keeps every example: plain SGD, the baseline.
	All = "all"
	// Random keeps M examples uniformly at random: the control arm for OHEM
	// with the same backprop budget.
	Random = "random"
	// TopK keeps the M examples with the highest loss: classic OHEM.
	TopK = "topk"
	// Threshold keeps the examples whose true-class probability is below
	// Thresh, but at least MinKept of them.
	Threshold = "threshold"
	// HardNeg keeps the positives (up to M) and the hardest negatives at
	// NegPos negatives per positive, at least MinNeg.
	HardNeg = "hardneg"
	// Selective keeps each example with probability percentile^Beta of its
	// loss within a rolling history of the last History losses
	// (Selective-Backprop), and at least one: the highest loss when no
	// example is drawn. The percentile is the share of the history at most
	// the loss; the batch joins the history before it is ranked, so the
	// first batch is ranked against itself.
	Selective = "selective"
	// Offline is bootstrapping, the classic offline hard example mining
	// that OHEM replaced: every Refresh steps the trainer scores a pool of
	// Pool training examples with the current network (forward only),
	// keeps the Hard hardest (see Hardest) and trains each step on M
	// examples drawn from that cache until the next scan. The picks go
	// stale between scans. Select keeps every example it is given: the
	// trainer hands it the M examples drawn from the cache.
	Offline = "offline"
)

// Strategies lists every strategy name in a stable order.
var Strategies = []string{All, Random, TopK, Threshold, HardNeg, Selective, Offline}

// Defaults of the optional parameters, and the upper limits Validate
// enforces on History, Beta and NegPos.
const (
	// DefaultThresh is threshold's default Thresh.
	DefaultThresh = 0.7
	// DefaultNegPos is hardneg's default negatives per positive (SSD's 3:1).
	DefaultNegPos = 3.0
	// DefaultMinNeg is hardneg's default floor on the negatives kept.
	DefaultMinNeg = 1
	// DefaultBeta is selective's default exponent.
	DefaultBeta = 3.0
	// DefaultHistory is selective's default history length.
	DefaultHistory = 1024
	// DefaultPositive is hardneg's default positive label.
	DefaultPositive = 1
	// DefaultRatio is the default M/K for callers that set M as a share
	// of the batch: M = int(ratio*K), as NLL_OHEM(ratio) does.
	DefaultRatio = 0.25
	// DefaultRefresh is offline's default number of steps between scans.
	DefaultRefresh = 200
	// DefaultPool is offline's default number of examples scored per scan.
	DefaultPool = 10000
	// DefaultHard is offline's default number of hardest examples kept: a
	// quarter of the default pool.
	DefaultHard = 2500
	// MaxRefresh is the largest Refresh accepted.
	MaxRefresh = 1000000
	// MaxPool is the largest Pool (and Hard) accepted.
	MaxPool = 10000000
	// MaxHistory is the largest History accepted.
	MaxHistory = 1 << 20
	// MaxBeta is the largest Beta accepted.
	MaxBeta = 100.0
	// MaxNegPos is the largest NegPos accepted.
	MaxNegPos = 1000.0
)

// Params configures a Selector. Zero values of the optional fields mean the
// documented default.
type Params struct {
	// Strategy is one of Strategies.
	Strategy string `json:"strategy"`
	// M is the number of examples to keep (random, topk), the cap on
	// positives (hardneg) and the default floor of threshold; all and
	// selective ignore it. It is required by every strategy all the same:
	// 1 <= M <= K.
	M int `json:"m"`
	// Thresh is the true-class probability strictly below which threshold
	// keeps an example, in (0, 1]. Default 0.7.
	Thresh float64 `json:"thresh,omitempty"`
	// MinKept is threshold's floor on the number kept: when fewer than
	// MinKept examples are below Thresh, the MinKept with the lowest
	// probability are kept instead. 0 <= MinKept <= K; 0 means M.
	MinKept int `json:"min_kept,omitempty"`
	// NegPos is hardneg's number of negatives kept per positive kept,
	// rounded down, in (0, 1000]. Default 3.
	NegPos float64 `json:"neg_pos,omitempty"`
	// MinNeg is hardneg's floor on the number of negatives kept (capped
	// by the negatives in the batch). Default 1.
	MinNeg int `json:"min_neg,omitempty"`
	// Positive is the label hardneg treats as positive; every other label
	// is negative. Default 1.
	Positive *int `json:"positive,omitempty"`
	// Beta is selective's exponent on the loss percentile, in (0, 100].
	// Default 3.
	Beta float64 `json:"beta,omitempty"`
	// History is the length of selective's rolling loss history, in
	// [1, 1<<20]. Default 1024.
	History int `json:"history,omitempty"`
	// Refresh is offline's number of steps between two scans of the pool,
	// in [1, 1000000]. Default 200.
	Refresh int `json:"refresh,omitempty"`
	// Pool is the number of training examples offline scores per scan, in
	// [1, 10000000]. Default 10000. A pool larger than the training set
	// scans the whole set and keeps the same share Hard/Pool of it.
	Pool int `json:"pool,omitempty"`
	// Hard is the number of hardest pool examples offline keeps, in
	// [1, Pool]; M, the examples trained on per step, must be at most
	// Hard. Default: a quarter of Pool (2500).
	Hard int `json:"hard,omitempty"`
}

// Input is one batch as the selector sees it. Losses is required and must
// be finite; Labels is required by hardneg; TrueProb (probability of the
// true class, in [0, 1]) by threshold. Every non-nil slice has the same
// length K. Select never modifies them.
type Input struct {
	Losses   []float64
	Labels   []int
	TrueProb []float64
}

// The Selector type, its constructor and Select live in selector.go; the
// strategies each have a file of their own.

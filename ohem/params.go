// Package ohem selects which examples of a batch to backpropagate.
//
// It implements Online Hard Example Mining (Shrivastava et al. 2016) and
// the variants people compare it with: the plain baseline, a random control
// with the same backprop budget, a loss threshold with a floor, hard
// negatives at a fixed negative:positive ratio and loss-percentile sampling
// (Selective-Backprop). It is pure Go numerics: no Gorgonia, no project
// imports.
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
	// loss within a rolling history of losses (Selective-Backprop).
	Selective = "selective"
)

// Strategies lists every strategy name in a stable order.
var Strategies = []string{All, Random, TopK, Threshold, HardNeg, Selective}

// Defaults of the optional parameters.
const (
	DefaultThresh   = 0.7
	DefaultNegPos   = 3.0
	DefaultMinNeg   = 1
	DefaultBeta     = 3.0
	DefaultHistory  = 1024
	DefaultPositive = 1
	DefaultRatio    = 0.25
	MaxHistory      = 1 << 20
	MaxBeta         = 100.0
	MaxNegPos       = 1000.0
)

// Params configures a Selector. Zero values of the optional fields mean the
// documented default.
type Params struct {
	// Strategy is one of Strategies.
	Strategy string `json:"strategy"`
	// M is the number of examples to keep (random, topk), the cap on
	// positives (hardneg) and the default floor of threshold. 1 <= M <= K.
	M int `json:"m"`
	// Thresh is the true-class probability below which threshold keeps an
	// example, in (0, 1]. Default 0.7.
	Thresh float64 `json:"thresh,omitempty"`
	// MinKept is threshold's floor on the number kept. Default M.
	MinKept int `json:"min_kept,omitempty"`
	// NegPos is hardneg's ratio of negatives to positives. Default 3.
	NegPos float64 `json:"neg_pos,omitempty"`
	// MinNeg is hardneg's floor on the number of negatives kept. Default 1.
	MinNeg int `json:"min_neg,omitempty"`
	// Positive is the label hardneg treats as positive. Default 1.
	Positive *int `json:"positive,omitempty"`
	// Beta is selective's exponent on the loss percentile. Default 3.
	Beta float64 `json:"beta,omitempty"`
	// History is the length of selective's rolling loss history. Default 1024.
	History int `json:"history,omitempty"`
}

// Input is one batch as the selector sees it. Losses is required; Labels is
// required by hardneg; TrueProb (probability of the true class) by
// threshold. All given slices have the same length K.
type Input struct {
	Losses   []float64
	Labels   []int
	TrueProb []float64
}

// Selector is a configured, possibly stateful (random, selective) selection
// strategy. It is not safe for concurrent use.
//
// Implemented in selector.go:
//
//	func New(p Params, seed int64) (*Selector, error)
//	func (s *Selector) Params() Params // with defaults filled in
//	func (s *Selector) Select(dst []int, w []float64, in Input) ([]int, []float64, error)
//
// Select appends to dst[:0] the indices into in.Losses to backpropagate, in
// increasing order, and to w[:0] their weights, which sum to 1 (the loss to
// backpropagate is the weighted sum). It returns an error for NaN or Inf
// losses, empty input, M > K, and missing labels or probabilities.

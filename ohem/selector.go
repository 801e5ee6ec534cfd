package ohem

import (
	"fmt"
	"math/rand/v2"
)

// Selector is a configured, possibly stateful (random, selective) selection
// strategy. It is not safe for concurrent use. Its scratch buffers grow to
// the largest batch seen, so selecting from batches of a steady size does
// not allocate.
type Selector struct {
	p   Params
	rng *rand.Rand

	idx  []int     // scratch: candidate indices
	key  []float64 // scratch: negated probabilities (threshold)
	keep []bool    // scratch: which examples are kept
	hist history   // selective's losses; sized when selective is in force
}

// rngStream is the PCG stream constant; the seed picks the state.
const rngStream = 0x5851f42d4c957f2d

// New returns a Selector for p whose random choices (random, selective)
// come from a source seeded with seed: the same params, seed and batches
// give the same selections. It returns an error naming the bad field and its
// allowed range when p is invalid (see Params.Validate).
func New(p Params, seed int64) (*Selector, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p = p.WithDefaults()
	s := &Selector{
		p:   p,
		rng: rand.New(rand.NewPCG(uint64(seed), rngStream)),
	}
	if p.Strategy == Selective {
		s.hist.resize(p.History)
	}
	return s, nil
}

// Params returns the selector's parameters with the defaults filled in.
func (s *Selector) Params() Params {
	p := s.p
	pos := *p.Positive
	p.Positive = &pos
	return p
}

// SetParams changes the parameters live, between two batches. The random
// source carries on. Selective's loss history is kept while the strategy
// stays selective (trimmed to the newest losses if History shrinks) and
// starts afresh when switching to selective from another strategy, since
// losses from long ago would misplace the percentiles. On error nothing
// changes.
func (s *Selector) SetParams(p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	p = p.WithDefaults()
	if p.Strategy == Selective {
		if s.p.Strategy != Selective {
			s.hist.reset()
		}
		s.hist.resize(p.History)
	}
	s.p = p
	return nil
}

// Select appends to dst[:0] the indices into in.Losses to backpropagate, in
// increasing order, and to w[:0] their weights, which sum to 1 (the loss to
// backpropagate is the weighted sum). Every kept example gets the same
// weight. When the capacities of dst and w are at least K, Select does not
// allocate in steady state.
//
// It returns an error, and empty slices, for NaN or Inf losses, empty input,
// M > K (or threshold's MinKept > K), slices of different lengths, missing
// labels (hardneg) or probabilities (threshold), and probabilities outside
// [0, 1]. On error the selector's state is unchanged: a random or selective
// selector draws nothing and its history stays as it was.
func (s *Selector) Select(dst []int, w []float64, in Input) ([]int, []float64, error) {
	dst, w = dst[:0], w[:0]
	if err := s.check(in); err != nil {
		return dst, w, err
	}
	k := len(in.Losses)
	switch s.p.Strategy {
	case All, Offline:
		for i := 0; i < k; i++ {
			dst = append(dst, i)
		}
	default:
		keep := s.marks(k)
		switch s.p.Strategy {
		case Random:
			s.random(keep)
		case TopK:
			s.topk(keep, in.Losses, s.p.M)
		case Threshold:
			s.threshold(keep, in.TrueProb)
		case HardNeg:
			s.hardneg(keep, in.Losses, in.Labels)
		case Selective:
			s.selective(keep, in.Losses)
		default:
			panic("ohem: Select: unhandled strategy " + s.p.Strategy)
		}
		for i, kept := range keep {
			if kept {
				dst = append(dst, i)
			}
		}
	}
	wt := 1 / float64(len(dst))
	for range dst {
		w = append(w, wt)
	}
	return dst, w, nil
}

// check validates a batch against the parameters.
func (s *Selector) check(in Input) error {
	k := len(in.Losses)
	if err := s.p.CheckK(k); err != nil {
		return err
	}
	if in.Labels != nil && len(in.Labels) != k {
		return fmt.Errorf("ohem: %d labels for %d losses: want one label per loss", len(in.Labels), k)
	}
	if in.TrueProb != nil && len(in.TrueProb) != k {
		return fmt.Errorf("ohem: %d true-class probabilities for %d losses: want one per loss", len(in.TrueProb), k)
	}
	if err := CheckFinite(in.Losses); err != nil {
		return err
	}
	switch s.p.Strategy {
	case HardNeg:
		if in.Labels == nil {
			return fmt.Errorf("ohem: strategy %s needs labels", HardNeg)
		}
	case Threshold:
		if in.TrueProb == nil {
			return fmt.Errorf("ohem: strategy %s needs true-class probabilities", Threshold)
		}
	}
	if in.TrueProb != nil {
		return checkProbs(in.TrueProb)
	}
	return nil
}

// marks returns the keep buffer resized to k and cleared.
func (s *Selector) marks(k int) []bool {
	if cap(s.keep) < k {
		s.keep = make([]bool, k)
	}
	s.keep = s.keep[:k]
	clear(s.keep)
	return s.keep
}

// indices returns the index buffer resized to k, holding 0..k-1.
func (s *Selector) indices(k int) []int {
	if cap(s.idx) < k {
		s.idx = make([]int, k)
	}
	s.idx = s.idx[:k]
	for i := range s.idx {
		s.idx[i] = i
	}
	return s.idx
}

// topk marks the m highest losses, ties to the lower index.
func (s *Selector) topk(keep []bool, losses []float64, m int) {
	idx := s.indices(len(losses))
	selectTop(idx, losses, m)
	for _, i := range idx[:m] {
		keep[i] = true
	}
}

package ohem

import (
	"fmt"
	"math"
	"strings"
)

// Validate reports whether p is a usable configuration, naming the first bad
// field (by its JSON name) and its allowed range. Zero values of optional
// fields are valid: they mean the default. M is checked against the batch
// size only when a batch arrives (see CheckK), since K may change live.
func (p Params) Validate() error {
	if !validStrategy(p.Strategy) {
		return fmt.Errorf("ohem: unknown strategy %q: want one of %s", p.Strategy, strings.Join(Strategies, ", "))
	}
	if p.M < 1 {
		return fmt.Errorf("ohem: m = %d out of range: want 1 <= m <= K", p.M)
	}
	if p.Thresh != 0 && !(p.Thresh > 0 && p.Thresh <= 1) {
		return fmt.Errorf("ohem: thresh = %v out of range: want 0 < thresh <= 1 (0 means %v)", p.Thresh, DefaultThresh)
	}
	if p.MinKept < 0 {
		return fmt.Errorf("ohem: min_kept = %d out of range: want 0 <= min_kept <= K (0 means m)", p.MinKept)
	}
	if p.NegPos != 0 && !(p.NegPos > 0 && p.NegPos <= MaxNegPos) {
		return fmt.Errorf("ohem: neg_pos = %v out of range: want 0 < neg_pos <= %v (0 means %v)", p.NegPos, MaxNegPos, DefaultNegPos)
	}
	if p.MinNeg < 0 {
		return fmt.Errorf("ohem: min_neg = %d out of range: want min_neg >= 0 (0 means %d)", p.MinNeg, DefaultMinNeg)
	}
	if p.Beta != 0 && !(p.Beta > 0 && p.Beta <= MaxBeta) {
		return fmt.Errorf("ohem: beta = %v out of range: want 0 < beta <= %v (0 means %v)", p.Beta, MaxBeta, DefaultBeta)
	}
	if p.History < 0 || p.History > MaxHistory {
		return fmt.Errorf("ohem: history = %d out of range: want 1 <= history <= %d (0 means %d)", p.History, MaxHistory, DefaultHistory)
	}
	return p.validateOffline()
}

// validateOffline checks offline's Refresh, Pool and Hard, and, when the
// strategy is offline, M <= Hard <= Pool (defaults filled in).
func (p Params) validateOffline() error {
	if p.Refresh < 0 || p.Refresh > MaxRefresh {
		return fmt.Errorf("ohem: refresh = %d out of range: want 1 <= refresh <= %d steps (0 means %d)", p.Refresh, MaxRefresh, DefaultRefresh)
	}
	if p.Pool < 0 || p.Pool > MaxPool {
		return fmt.Errorf("ohem: pool = %d out of range: want 1 <= pool <= %d examples (0 means %d)", p.Pool, MaxPool, DefaultPool)
	}
	if p.Hard < 0 || p.Hard > MaxPool {
		return fmt.Errorf("ohem: hard = %d out of range: want 1 <= hard <= pool (0 means a quarter of pool, %d by default)", p.Hard, DefaultHard)
	}
	if p.Strategy != Offline {
		return nil
	}
	d := p.WithDefaults()
	if d.Hard > d.Pool {
		return fmt.Errorf("ohem: hard = %d out of range: want 1 <= hard <= pool = %d", d.Hard, d.Pool)
	}
	if d.M > d.Hard {
		return fmt.Errorf("ohem: m = %d out of range: want 1 <= m <= hard = %d (offline trains on m of its hard examples per step)", d.M, d.Hard)
	}
	return nil
}

// CheckK reports whether p can select from a batch of k examples: k >= 1,
// M <= k and, for threshold, the floor MinKept <= k.
func (p Params) CheckK(k int) error {
	if k < 1 {
		return fmt.Errorf("ohem: empty batch: want K >= 1 losses")
	}
	if p.M > k {
		return fmt.Errorf("ohem: m = %d out of range: want 1 <= m <= K = %d", p.M, k)
	}
	if p.Strategy == Threshold && p.MinKept > k {
		return fmt.Errorf("ohem: min_kept = %d out of range: want min_kept <= K = %d", p.MinKept, k)
	}
	return nil
}

// WithDefaults returns p with every zero optional field replaced by its
// default. MinKept defaults to M. The returned Positive never aliases p's.
func (p Params) WithDefaults() Params {
	if p.Thresh == 0 {
		p.Thresh = DefaultThresh
	}
	if p.MinKept == 0 {
		p.MinKept = p.M
	}
	if p.NegPos == 0 {
		p.NegPos = DefaultNegPos
	}
	if p.MinNeg == 0 {
		p.MinNeg = DefaultMinNeg
	}
	pos := DefaultPositive
	if p.Positive != nil {
		pos = *p.Positive
	}
	p.Positive = &pos
	if p.Beta == 0 {
		p.Beta = DefaultBeta
	}
	if p.History == 0 {
		p.History = DefaultHistory
	}
	if p.Refresh == 0 {
		p.Refresh = DefaultRefresh
	}
	if p.Pool == 0 {
		p.Pool = DefaultPool
	}
	if p.Hard == 0 {
		p.Hard = max(1, p.Pool/4)
	}
	return p
}

func validStrategy(name string) bool {
	for _, s := range Strategies {
		if s == name {
			return true
		}
	}
	return false
}

// isFinite reports whether x is neither NaN nor infinite.
func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

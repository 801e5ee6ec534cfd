package ohem

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refTop is the obviously correct top-m: sort by (loss desc, index asc),
// take m, return in increasing index order.
func refTop(losses []float64, m int) []int {
	idx := make([]int, len(losses))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case losses[a] > losses[b]:
			return -1
		case losses[a] < losses[b]:
			return 1
		}
		return a - b
	})
	out := slices.Clone(idx[:m])
	slices.Sort(out)
	return out
}

// checkOutput verifies the invariants every selection must satisfy:
// indices in range, strictly increasing (so none twice), weights finite,
// positive, one per index and summing to 1.
func checkOutput(t *testing.T, k int, idx []int, w []float64) {
	t.Helper()
	if len(idx) == 0 {
		t.Fatalf("empty selection")
	}
	if len(w) != len(idx) {
		t.Fatalf("%d weights for %d indices", len(w), len(idx))
	}
	sum := 0.0
	for j, i := range idx {
		if i < 0 || i >= k {
			t.Fatalf("index %d out of range [0, %d)", i, k)
		}
		if j > 0 && idx[j-1] >= i {
			t.Fatalf("indices not strictly increasing: %v", idx)
		}
		if !(w[j] > 0) || math.IsInf(w[j], 0) {
			t.Fatalf("weight %d is %v", j, w[j])
		}
		sum += w[j]
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("weights sum to %v, want 1", sum)
	}
}

// randLosses returns k losses from rng; with ties, drawn from a few values.
func randLosses(rng *rand.Rand, k int, ties bool) []float64 {
	l := make([]float64, k)
	for i := range l {
		if ties {
			l[i] = float64(rng.IntN(4))
		} else {
			l[i] = rng.ExpFloat64()
		}
	}
	return l
}

// mustNew is New that fails the test on error.
func mustNew(t testing.TB, p Params, seed int64) *Selector {
	t.Helper()
	s, err := New(p, seed)
	if err != nil {
		t.Fatalf("New(%+v): %v", p, err)
	}
	return s
}

func intp(i int) *int { return &i }

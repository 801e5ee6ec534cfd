package ohem

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// bruteHardest is the n hardest of losses by a full sort (loss descending,
// index ascending on ties), returned in increasing index order.
func bruteHardest(losses []float64, n int) []int {
	idx := make([]int, len(losses))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return losses[idx[a]] > losses[idx[b]] })
	out := append([]int(nil), idx[:min(n, len(idx))]...)
	slices.Sort(out)
	return out
}

func TestHardestMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(3000)
		losses := make([]float64, n)
		for i := range losses {
			if trial%3 == 0 {
				losses[i] = float64(r.IntN(5)) // many ties
			} else {
				losses[i] = r.ExpFloat64()
			}
		}
		keep := r.IntN(n + 10)
		got := Hardest(nil, losses, keep)
		if want := bruteHardest(losses, keep); !slices.Equal(got, want) {
			t.Fatalf("trial %d: Hardest(n=%d, keep=%d) = %v..., want %v...", trial, n, keep, got[:min(5, len(got))], want[:min(5, len(want))])
		}
	}
	if got := Hardest(nil, []float64{1, 2}, -1); len(got) != 0 {
		t.Errorf("Hardest(-1) = %v, want none", got)
	}
}

func TestSelectOfflineKeepsAll(t *testing.T) {
	s := mustNew(t, Params{Strategy: Offline, M: 3, Pool: 10, Hard: 4}, 1)
	got, w, err := s.Select(nil, nil, Input{Losses: []float64{0.5, 3, 1}})
	if err != nil || !slices.Equal(got, []int{0, 1, 2}) || len(w) != 3 || w[0] != 1.0/3 {
		t.Fatalf("Select = %v, %v, %v; want every example with weight 1/3", got, w, err)
	}
}

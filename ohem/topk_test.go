package ohem

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTopKIndices(t *testing.T) {
	tests := []struct {
		name   string
		losses []float64
		m      int
		want   []int
	}{
		{"m=0", []float64{1, 2}, 0, []int{}},
		{"m=1", []float64{1, 3, 2}, 1, []int{1}},
		{"m=K", []float64{1, 3, 2}, 3, []int{0, 1, 2}},
		{"ties to lower index", []float64{2, 5, 2, 2, 5}, 3, []int{0, 1, 4}},
		{"all equal", []float64{7, 7, 7, 7, 7, 7}, 2, []int{0, 1}},
		{"negative and zero", []float64{-1, 0, -0.5, -3}, 2, []int{1, 2}},
		{"signed zeros tie", []float64{-0.0, 0}, 1, []int{0}},
		{"infinities", []float64{1, posInf, -posInf, 2}, 2, []int{1, 3}},
		{"long decreasing", seq(40, -1), 5, []int{0, 1, 2, 3, 4}},
		{"long increasing", seq(40, 1), 5, []int{35, 36, 37, 38, 39}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := TopKIndices(nil, tc.losses, tc.m)
			if !slices.Equal(got, tc.want) {
				t.Errorf("TopKIndices(%v, %d) = %v, want %v", tc.losses, tc.m, got, tc.want)
			}
		})
	}
}

var posInf = math.Inf(1)

// seq returns n values starting at 0 in steps of step.
func seq(n int, step float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i) * step
	}
	return s
}

// TestTopKIndicesMatchesReference compares with a full sort on many random
// inputs, with and without ties, including patterns that defeat naive
// pivots (organ pipe, sawtooth) so the heap fallback runs too.
func TestTopKIndicesMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var dst []int
	for trial := 0; trial < 500; trial++ {
		k := 1 + rng.IntN(300)
		var losses []float64
		switch trial % 4 {
		case 0:
			losses = randLosses(rng, k, false)
		case 1:
			losses = randLosses(rng, k, true)
		case 2: // organ pipe
			losses = make([]float64, k)
			for i := range losses {
				losses[i] = float64(min(i, k-i))
			}
		case 3: // sawtooth
			losses = make([]float64, k)
			for i := range losses {
				losses[i] = float64(i % 7)
			}
		}
		m := rng.IntN(k + 1)
		dst = TopKIndices(dst, losses, m)
		if want := refTop(losses, m); !slices.Equal(dst, want) {
			t.Fatalf("trial %d: TopKIndices(k=%d, m=%d) = %v, want %v", trial, k, m, dst, want)
		}
	}
}

// TestSelectTopBudget runs the introselect with tiny partition budgets so
// the heap fallback takes over at every depth.
func TestSelectTopBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 300; trial++ {
		k := 1 + rng.IntN(200)
		losses := randLosses(rng, k, trial%2 == 0)
		m := rng.IntN(k + 1)
		idx := make([]int, k)
		for i := range idx {
			idx[i] = i
		}
		selectTopBudget(idx, losses, m, trial%4)
		got := slices.Clone(idx[:m])
		slices.Sort(got)
		if want := refTop(losses, m); !slices.Equal(got, want) {
			t.Fatalf("budget %d, k=%d, m=%d: %v, want %v", trial%4, k, m, got, want)
		}
	}
}

// TestHeapSelect checks the fallback directly, since quickselect rarely
// needs it.
func TestHeapSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		k := 1 + rng.IntN(100)
		losses := randLosses(rng, k, trial%2 == 0)
		m := rng.IntN(k + 1)
		idx := make([]int, k)
		for i := range idx {
			idx[i] = i
		}
		heapSelect(idx, losses, m)
		got := slices.Clone(idx[:m])
		slices.Sort(got)
		if want := refTop(losses, m); !slices.Equal(got, want) {
			t.Fatalf("heapSelect(k=%d, m=%d) = %v, want %v", k, m, got, want)
		}
		slices.Sort(idx)
		for i := range idx {
			if idx[i] != i {
				t.Fatalf("heapSelect lost or duplicated indices: %v", idx)
			}
		}
	}
}

func TestTopKIndicesPanics(t *testing.T) {
	for _, m := range []int{-1, 4} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || s[:6] != "ohem: " {
					t.Errorf("m=%d: recovered %v, want an \"ohem: \" panic", m, r)
				}
			}()
			TopKIndices(nil, []float64{1, 2, 3}, m)
		}()
	}
}

func TestTopKIndicesNoAlloc(t *testing.T) {
	losses := randLosses(rand.New(rand.NewPCG(5, 6)), 1000, false)
	dst := make([]int, 0, len(losses))
	allocs := testing.AllocsPerRun(20, func() {
		dst = TopKIndices(dst, losses, 250)
	})
	if allocs != 0 {
		t.Errorf("TopKIndices allocated %v times per call with enough capacity", allocs)
	}
}

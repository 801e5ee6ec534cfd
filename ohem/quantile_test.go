package ohem

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestQuantiles(t *testing.T) {
	five := []float64{0, 0.1, 0.5, 0.9, 1}
	tests := []struct {
		name   string
		losses []float64
		ps     []float64
		want   []float64
	}{
		{"one value", []float64{3}, five, []float64{3, 3, 3, 3, 3}},
		{"two values", []float64{2, 0}, five, []float64{0, 0.2, 1, 1.8, 2}},
		{"0..10 unsorted", []float64{10, 3, 7, 0, 1, 9, 2, 8, 4, 6, 5}, five, []float64{0, 1, 5, 9, 10}},
		{"interpolates", []float64{1, 2, 3, 4}, []float64{0.5, 0.25, 1.0 / 3}, []float64{2.5, 1.75, 2}},
		{"all equal", []float64{4, 4, 4, 4}, five, []float64{4, 4, 4, 4, 4}},
		{"with infinities", []float64{math.Inf(-1), 0, math.Inf(1)}, []float64{0, 0.5, 1}, []float64{math.Inf(-1), 0, math.Inf(1)}},
		{"no ps", []float64{1, 2}, nil, []float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.losses)
			got := Quantiles(make([]float64, 9), tc.losses, tc.ps)
			if len(got) != len(tc.want) {
				t.Fatalf("Quantiles = %v, want %v", got, tc.want)
			}
			for i := range got {
				if !(got[i] == tc.want[i] || math.Abs(got[i]-tc.want[i]) < 1e-12) {
					t.Fatalf("Quantiles = %v, want %v", got, tc.want)
				}
			}
			if !slices.Equal(in, tc.losses) {
				t.Errorf("Quantiles changed its input to %v", tc.losses)
			}
		})
	}
}

func TestQuantilesMonotone(t *testing.T) {
	losses := []float64{5, 1, 1, 8, 2, 9, 3, 3, 0.5}
	ps := make([]float64, 101)
	for i := range ps {
		ps[i] = float64(i) / 100
	}
	q := Quantiles(nil, losses, ps)
	for i := 1; i < len(q); i++ {
		if q[i] < q[i-1] {
			t.Fatalf("quantile at %v is %v, below %v at %v", ps[i], q[i], q[i-1], ps[i-1])
		}
	}
	if q[0] != 0.5 || q[100] != 9 {
		t.Errorf("min, max = %v, %v; want 0.5, 9", q[0], q[100])
	}
}

func TestQuantilesPanics(t *testing.T) {
	tests := []struct {
		name   string
		losses []float64
		ps     []float64
	}{
		{"empty", nil, []float64{0.5}},
		{"p < 0", []float64{1}, []float64{-0.1}},
		{"p > 1", []float64{1}, []float64{1.1}},
		{"p NaN", []float64{1}, []float64{math.NaN()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || s[:6] != "ohem: " {
					t.Errorf("recovered %v, want an \"ohem: \" panic", r)
				}
			}()
			Quantiles(nil, tc.losses, tc.ps)
		})
	}
}

func TestQuantilesNoAlloc(t *testing.T) {
	losses := seq(1000, -0.5)
	ps := []float64{0, 0.1, 0.5, 0.9, 1}
	dst := make([]float64, 0, len(ps))
	if a := testing.AllocsPerRun(50, func() { dst = Quantiles(dst, losses, ps) }); a != 0 {
		t.Errorf("Quantiles allocated %v times per call in steady state", a)
	}
	if dst[0] != -499.5 || dst[4] != 0 {
		t.Errorf("Quantiles = %v, want min -499.5 and max 0", dst)
	}
}

func TestSortedQuantilesNoAlloc(t *testing.T) {
	sorted := seq(1000, 0.5)
	ps := []float64{0, 0.1, 0.5, 0.9, 1}
	dst := make([]float64, 0, len(ps))
	if a := testing.AllocsPerRun(20, func() { dst = SortedQuantiles(dst, sorted, ps) }); a != 0 {
		t.Errorf("SortedQuantiles allocated %v times", a)
	}
}

// TestQuantilesMatchSort checks that the selection in Quantiles gives the
// values a full sort gives (SortedQuantiles of the sorted losses), for
// many sizes, ties, infinities, sorted and reversed input and several
// probability sets.
func TestQuantilesMatchSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 12))
	psets := [][]float64{
		{0, 0.1, 0.5, 0.9, 1},
		{0.5},
		{0.25, 0.75, 0.75, 0.01},
		{1, 0},
		{0.999, 0.001, 0.3, 0.31, 0.32, 0.6, 0.61, 0.62},
	}
	shapes := map[string]func(x []float64){
		"random":   func([]float64) {},
		"sorted":   func(x []float64) { slices.Sort(x) },
		"reversed": func(x []float64) { slices.Sort(x); slices.Reverse(x) },
		"organ pipe": func(x []float64) {
			slices.Sort(x)
			h := x[len(x)/2:]
			slices.Reverse(h)
		},
	}
	for n := 1; n <= 600; n += 1 + n/16 {
		for _, ties := range []bool{false, true} {
			for name, shape := range shapes {
				x := make([]float64, n)
				for i := range x {
					if ties {
						x[i] = float64(rng.IntN(4))
					} else {
						x[i] = rng.ExpFloat64()
					}
				}
				if n > 3 && rng.IntN(3) == 0 {
					x[rng.IntN(n)] = math.Inf(1)
					x[rng.IntN(n)] = math.Inf(-1)
				}
				shape(x)
				sorted := slices.Clone(x)
				slices.Sort(sorted)
				for _, ps := range psets {
					in := slices.Clone(x)
					got := Quantiles(nil, x, ps)
					want := SortedQuantiles(nil, sorted, ps)
					if !slices.EqualFunc(got, want, sameFloat) {
						t.Fatalf("n=%d ties=%v %s ps=%v: Quantiles = %v, sorting gives %v", n, ties, name, ps, got, want)
					}
					if !slices.Equal(in, x) {
						t.Fatalf("Quantiles changed its input")
					}
				}
			}
		}
	}
}

// TestQuantilesNaN checks that losses with a NaN give what sorting gives
// (NaNs first).
func TestQuantilesNaN(t *testing.T) {
	x := []float64{3, math.NaN(), 1, 2, math.NaN(), 5, 4, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	ps := []float64{0, 0.1, 0.5, 0.9, 1}
	got, want := Quantiles(nil, x, ps), SortedQuantiles(nil, sorted, ps)
	if !slices.EqualFunc(got, want, sameFloat) {
		t.Fatalf("Quantiles = %v, sorting gives %v", got, want)
	}
}

// sameFloat reports whether a and b are the same number (NaN the same as
// NaN: interpolating between two infinities gives one).
func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// TestSelectRanks checks that every requested rank holds the sorted
// value after selectRanks, and that x is a permutation of its input.
func TestSelectRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := 1 + rng.IntN(300)
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(1 + rng.IntN(50)))
		}
		var ranks []int
		for range 1 + rng.IntN(8) {
			ranks = append(ranks, rng.IntN(n))
		}
		slices.Sort(ranks)
		ranks = slices.Compact(ranks)
		sorted := slices.Clone(x)
		slices.Sort(sorted)
		selectRanks(x, ranks)
		for _, r := range ranks {
			if x[r] != sorted[r] {
				t.Fatalf("n=%d ranks %v: x[%d] = %v, want %v", n, ranks, r, x[r], sorted[r])
			}
		}
		slices.Sort(x)
		if !slices.Equal(x, sorted) {
			t.Fatalf("selectRanks lost or changed values")
		}
	}
}

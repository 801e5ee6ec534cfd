package ohem

import (
	"math"
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

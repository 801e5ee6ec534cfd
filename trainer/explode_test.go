package trainer

import (
	"math"
	"testing"
)

func TestLossExploded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		classes int
		batches [][]float64
		want    []bool
		ref     float64
	}{
		{"chance floor", 10, [][]float64{{0.1, 0.3}, {200, 200}, {240, 230}}, []bool{false, false, true}, math.Log(10)},
		{"large first batch", 2, [][]float64{{50, 70}, {5000, 5000}, {8000, 5000}}, []bool{false, false, true}, 60},
		{"two classes", 2, [][]float64{{0.5, 0.6}, {69, 69}, {70, 70}}, []bool{false, false, true}, math.Log(2)},
		{"one class floored at two", 1, [][]float64{{0, 0}, {70, 70}}, []bool{false, true}, math.Log(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &arm{}
			for i, b := range tc.batches {
				a.losses = b
				mean, ref, got := a.lossExploded(len(b), tc.classes)
				if got != tc.want[i] {
					t.Errorf("batch %d (mean %v, ref %v): exploded %v, want %v", i, mean, ref, got, tc.want[i])
				}
			}
			if math.Abs(a.refLoss-tc.ref) > 1e-12 {
				t.Errorf("reference %v, want %v", a.refLoss, tc.ref)
			}
		})
	}
}

package trainer

import (
	"math"
	"testing"
)

// TestSummarizeBatch checks the batch-level figures that the built-in
// trainer and outside sources share.
func TestSummarizeBatch(t *testing.T) {
	tests := []struct {
		name     string
		losses   []float64
		selected []int32
		flipped  []bool
		want     BatchEvent // BatchLoss, SelLoss, KeptShare, SelFlippedShare, Quantiles
	}{
		{
			name:     "two of four kept, one flipped",
			losses:   []float64{1, 2, 3, 4},
			selected: []int32{3, 2},
			flipped:  []bool{false, false, true, false},
			want:     BatchEvent{BatchLoss: 2.5, SelLoss: 3.5, KeptShare: 0.7, SelFlippedShare: 0.5, Quantiles: [5]float32{1, 1.3, 2.5, 3.7, 4}},
		},
		{
			name:     "no label noise",
			losses:   []float64{2, 2},
			selected: []int32{0},
			want:     BatchEvent{BatchLoss: 2, SelLoss: 2, KeptShare: 0.5, Quantiles: [5]float32{2, 2, 2, 2, 2}},
		},
		{
			name:     "all losses zero: the kept share is the kept count's",
			losses:   []float64{0, 0, 0, 0},
			selected: []int32{1},
			want:     BatchEvent{KeptShare: 0.25},
		},
		{
			name:   "nothing kept",
			losses: []float64{1, 3},
			want:   BatchEvent{BatchLoss: 2, Quantiles: [5]float32{1, 1.2, 2, 2.8, 3}},
		},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev BatchEvent
			SummarizeBatch(&ev, tt.losses, tt.selected, tt.flipped, nil)
			if !near(ev.BatchLoss, tt.want.BatchLoss) || !near(ev.SelLoss, tt.want.SelLoss) ||
				!near(ev.KeptShare, tt.want.KeptShare) || !near(ev.SelFlippedShare, tt.want.SelFlippedShare) {
				t.Errorf("batch %v, sel %v, kept share %v, flipped share %v; want %v, %v, %v, %v",
					ev.BatchLoss, ev.SelLoss, ev.KeptShare, ev.SelFlippedShare,
					tt.want.BatchLoss, tt.want.SelLoss, tt.want.KeptShare, tt.want.SelFlippedShare)
			}
			for i, q := range ev.Quantiles {
				if !near(float64(q), float64(tt.want.Quantiles[i])) {
					t.Errorf("quantiles %v, want %v", ev.Quantiles, tt.want.Quantiles)
					break
				}
			}
		})
	}
}

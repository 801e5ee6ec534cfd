package trainer

import "testing"

func TestReach(t *testing.T) {
	tests := []struct {
		name   string
		accs   []float64
		target float64
		want   int
	}{
		{"empty", nil, 0.9, -1},
		{"fewer than the window", []float64{0.99, 0.99}, 0.9, -1},
		{"exactly the window", []float64{0.95, 0.95, 0.95}, 0.95, 2},
		{"one lucky evaluation does not count", []float64{0.90, 0.95, 0.91, 0.92, 0.93}, 0.95, -1},
		{"lucky then steady", []float64{0.90, 0.96, 0.93, 0.95, 0.96, 0.97}, 0.95, 5},
		{"mean of three", []float64{0.5, 0.94, 0.95, 0.96}, 0.95, 3},
		{"a dip after reaching does not matter", []float64{0.96, 0.96, 0.96, 0.5, 0.5}, 0.95, 2},
		{"window slides", []float64{0.1, 0.2, 0.3, 0.96, 0.96, 0.96}, 0.95, 5},
		{"just below", []float64{0.95, 0.95, 0.9499}, 0.95, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Reach(tc.accs, tc.target); got != tc.want {
				t.Errorf("Reach(%v, %v) = %d, want %d", tc.accs, tc.target, got, tc.want)
			}
		})
	}
}

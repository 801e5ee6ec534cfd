package ohem

import (
	"math"
	"strings"
	"testing"
)

func TestMForRatio(t *testing.T) {
	tests := []struct {
		ratio float64
		k     int
		want  int
		err   string
	}{
		{0.25, 128, 32, ""},
		{DefaultRatio, 1024, 256, ""},
		{1, 7, 7, ""},
		{0.5, 7, 3, ""},     // truncated
		{0.001, 128, 1, ""}, // at least one
		{0.29, 100, 28, ""}, // int(0.29*100) truncates 28.999…, as Python's int does
		{0, 128, 0, "ratio = 0 out of range: want 0 < ratio <= 1"},
		{-0.5, 128, 0, "ratio = -0.5 out of range"},
		{1.5, 128, 0, "ratio = 1.5 out of range"},
		{math.NaN(), 128, 0, "ratio = NaN out of range"},
		{math.Inf(1), 128, 0, "ratio = +Inf out of range"},
		{0.5, 0, 0, "k = 0 out of range: want k >= 1"},
	}
	for _, tc := range tests {
		got, err := MForRatio(tc.ratio, tc.k)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("MForRatio(%v, %d) = %d, %v; want error containing %q", tc.ratio, tc.k, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("MForRatio(%v, %d) = %d, %v; want %d", tc.ratio, tc.k, got, err, tc.want)
		}
	}
}

package main

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name               string
		xs                 []float64
		mean, sd, min, max float64
	}{
		{"one value", []float64{0.97}, 0.97, 0, 0.97, 0.97},
		{"two", []float64{1, 3}, 2, math.Sqrt2, 1, 3},
		{"five", []float64{2, 4, 4, 4, 5}, 3.8, math.Sqrt(4.8 / 4), 2, 5},
		{"sample sd of 1..5", []float64{1, 2, 3, 4, 5}, 3, math.Sqrt(2.5), 1, 5},
		{"negative and unordered", []float64{-1, 5, 2}, 2, 3, -1, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := summarize(tc.xs)
			near := func(got float64, want float64) bool { return math.Abs(float64(got)-want) < 1e-12 }
			if s.N != len(tc.xs) || !near(s.Mean, tc.mean) || !near(s.SD, tc.sd) || !near(s.Min, tc.min) || !near(s.Max, tc.max) {
				t.Errorf("summarize(%v) = %+v, want n %d mean %v sd %v min %v max %v", tc.xs, s, len(tc.xs), tc.mean, tc.sd, tc.min, tc.max)
			}
		})
	}
	if s := summarize(nil); s.N != 0 || !math.IsNaN(float64(s.Mean)) || !math.IsNaN(float64(s.SD)) {
		t.Errorf("summarize(nil) = %+v, want n 0 and NaN (null) figures", s)
	}
}

func TestSummarizeArmCountsReached(t *testing.T) {
	reps := []armReport{
		{TestAccuracy: 0.96, ToTarget: &reachReport{Step: 400, ExamplesBackpropagated: 12800, ExamplesForwarded: 51200, ComputeFLOPs: 10}},
		{TestAccuracy: 0.94},
		{TestAccuracy: 0.95, ToTarget: &reachReport{Step: 600, ExamplesBackpropagated: 19200, ExamplesForwarded: 76800, ComputeFLOPs: 30}},
	}
	s := summarizeArm(reps)
	if s.Seeds != 3 || s.TestAccuracy.N != 3 || math.Abs(float64(s.TestAccuracy.Mean)-0.95) > 1e-12 {
		t.Errorf("test accuracy summary = %+v", s.TestAccuracy)
	}
	if s.StepsTo.Reached != 2 || s.StepsTo.Seeds != 3 || s.StepsTo.Mean != 500 || s.StepsTo.Min != 400 || s.StepsTo.Max != 600 {
		t.Errorf("steps to target = %+v, want 2 of 3 reached, mean 500 in [400, 600]", s.StepsTo)
	}
	if s.ExamplesBackpropagatedTo.Mean != 16000 || s.ExamplesForwardedTo.Mean != 64000 || s.ComputeFLOPsTo.Mean != 20 {
		t.Errorf("examples/compute to target = %+v %+v %+v", s.ExamplesBackpropagatedTo, s.ExamplesForwardedTo, s.ComputeFLOPsTo)
	}
	other := []armReport{
		{ToTarget: &reachReport{ExamplesBackpropagated: 25600, ComputeFLOPs: 20}},
		{ToTarget: &reachReport{ExamplesBackpropagated: 1}},
		{},
	}
	r := ratioStat(reps, other, backpropOf)
	if r == nil || r.N != 1 || r.Mean != 0.5 {
		t.Errorf("ratio over seeds where both reached = %+v, want one ratio 0.5", r)
	}
	if r := ratioStat(reps[1:2], other[1:2], backpropOf); r != nil {
		t.Errorf("ratio with no seed where both reached = %+v, want nil", r)
	}
}

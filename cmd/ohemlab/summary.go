package main

import (
	"math"
)

// stat sums up one figure over replicates: the mean, the sample standard
// deviation (n-1 in the denominator; 0 for a single value) and the range,
// over N values. With no values every figure is null.
type stat struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// summarize returns the stat of xs.
func summarize(xs []float64) stat {
	s := stat{N: len(xs), Mean: float64(math.NaN()), SD: float64(math.NaN()), Min: float64(math.NaN()), Max: float64(math.NaN())}
	if len(xs) == 0 {
		return s
	}
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		sum += x
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	mean := sum / float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := 0.0
	if len(xs) > 1 {
		sd = math.Sqrt(ss / float64(len(xs)-1))
	}
	s.Mean, s.SD, s.Min, s.Max = float64(mean), float64(sd), float64(lo), float64(hi)
	return s
}

// reachStat sums up a figure at the target over the seeds that reached it:
// Reached of Seeds did; the stat is over those.
type reachStat struct {
	stat
	Reached int `json:"reached"`
	Seeds   int `json:"seeds"`
}

// armSummary sums up one arm over its replicates.
type armSummary struct {
	Seeds        int  `json:"seeds"`
	TestAccuracy stat `json:"test_accuracy"`
	// To the target accuracy, by the crossing rule of the report.
	StepsTo                  reachStat `json:"steps_to_target"`
	ExamplesBackpropagatedTo reachStat `json:"examples_backpropagated_to"`
	ExamplesForwardedTo      reachStat `json:"examples_forwarded_to"`
	ComputeFLOPsTo           reachStat `json:"compute_flops_to"`
}

// summarizeArm sums up the replicates of one arm.
func summarizeArm(reps []armReport) *armSummary {
	s := &armSummary{Seeds: len(reps)}
	var acc, steps, back, fwd, flops []float64
	for _, r := range reps {
		if x := float64(r.TestAccuracy); !math.IsNaN(x) {
			acc = append(acc, x)
		}
		if t := r.ToTarget; t != nil {
			steps = append(steps, float64(t.Step))
			back = append(back, float64(t.ExamplesBackpropagated))
			fwd = append(fwd, float64(t.ExamplesForwarded))
			flops = append(flops, float64(t.ComputeFLOPs))
		}
	}
	reach := func(xs []float64) reachStat {
		return reachStat{stat: summarize(xs), Reached: len(xs), Seeds: len(reps)}
	}
	s.TestAccuracy = summarize(acc)
	s.StepsTo, s.ExamplesBackpropagatedTo = reach(steps), reach(back)
	s.ExamplesForwardedTo, s.ComputeFLOPsTo = reach(fwd), reach(flops)
	return s
}

// ratioStat sums up the per-seed ratio of(a)/of(b) over the seeds at
// which both arms reached the target; nil if none did.
func ratioStat(a, b []armReport, of func(*reachReport) float64) *stat {
	var xs []float64
	for i := range a {
		if i < len(b) {
			if r := reachRatio(a[i].ToTarget, b[i].ToTarget, of); r != nil {
				xs = append(xs, float64(*r))
			}
		}
	}
	if len(xs) == 0 {
		return nil
	}
	s := summarize(xs)
	return &s
}

package main

import (
	"math"
	"slices"
)

// median returns the median of x (the mean of the two middle values for an
// even count). It does not modify x. It panics on an empty slice: callers
// only summarise groups that have values.
func median(x []float64) float64 {
	if len(x) == 0 {
		panic("vssummary: median of no values")
	}
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// span returns the smallest and largest value of x, or NaNs when x is
// empty.
func span(x []float64) (lo, hi float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	return slices.Min(x), slices.Max(x)
}

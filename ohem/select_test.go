package ohem

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSelectErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		p    Params
		in   Input
		want string
	}{
		{"empty", Params{Strategy: All, M: 1}, Input{}, "empty batch"},
		{"empty non-nil", Params{Strategy: TopK, M: 1}, Input{Losses: []float64{}}, "empty batch"},
		{"m > K", Params{Strategy: TopK, M: 4}, Input{Losses: []float64{1, 2, 3}}, "m = 4 out of range: want 1 <= m <= K = 3"},
		{"m > K for all", Params{Strategy: All, M: 4}, Input{Losses: []float64{1, 2, 3}}, "m = 4 out of range"},
		{"NaN", Params{Strategy: TopK, M: 1}, Input{Losses: []float64{1, nan, 3}}, "loss 1 of 3 is NaN"},
		{"+Inf", Params{Strategy: Random, M: 1}, Input{Losses: []float64{inf}}, "loss 0 of 1 is +Inf"},
		{"-Inf", Params{Strategy: All, M: 1}, Input{Losses: []float64{1, -inf}}, "loss 1 of 2 is -Inf"},
		{"labels short", Params{Strategy: HardNeg, M: 1}, Input{Losses: []float64{1, 2}, Labels: []int{1}}, "1 labels for 2 losses"},
		{"labels long for topk", Params{Strategy: TopK, M: 1}, Input{Losses: []float64{1}, Labels: []int{1, 0}}, "2 labels for 1 losses"},
		{"probs short", Params{Strategy: Threshold, M: 1}, Input{Losses: []float64{1, 2}, TrueProb: []float64{0.5}}, "1 true-class probabilities for 2 losses"},
		{"hardneg without labels", Params{Strategy: HardNeg, M: 1}, Input{Losses: []float64{1, 2}}, "strategy hardneg needs labels"},
		{"threshold without probs", Params{Strategy: Threshold, M: 1}, Input{Losses: []float64{1, 2}}, "strategy threshold needs true-class probabilities"},
		{"prob NaN", Params{Strategy: Threshold, M: 1}, Input{Losses: []float64{1, 2}, TrueProb: []float64{0.5, nan}}, "true-class probability 1 of 2 is NaN"},
		{"prob above 1", Params{Strategy: Threshold, M: 1}, Input{Losses: []float64{1, 2}, TrueProb: []float64{1.5, 0}}, "true-class probability 0 of 2 is 1.5"},
		{"prob negative", Params{Strategy: Threshold, M: 1}, Input{Losses: []float64{1}, TrueProb: []float64{-0.1}}, "is -0.1: want 0 <= p <= 1"},
		{"min_kept > K", Params{Strategy: Threshold, M: 1, MinKept: 3}, Input{Losses: []float64{1, 2}, TrueProb: []float64{1, 1}}, "min_kept = 3 out of range: want min_kept <= K = 2"},
		{"selective NaN", Params{Strategy: Selective, M: 1}, Input{Losses: []float64{nan}}, "is NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.p, 1)
			dst, w, err := s.Select(make([]int, 3), make([]float64, 2), tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Select error = %v, want one containing %q", err, tc.want)
			}
			if len(dst) != 0 || len(w) != 0 {
				t.Errorf("Select returned %v, %v with an error, want empty slices", dst, w)
			}
		})
	}
}

// strategyCase is one batch and the selection a strategy must make.
type strategyCase struct {
	name string
	p    Params
	in   Input
	want []int
}

func runStrategyCases(t *testing.T, tests []strategyCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.p, 1)
			got, w, err := s.Select(nil, nil, tc.in)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			checkOutput(t, len(tc.in.Losses), got, w)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Select = %v, want %v", got, tc.want)
			}
			for _, x := range w {
				if x != w[0] {
					t.Errorf("weights %v not uniform", w)
					break
				}
			}
		})
	}
}

func TestSelectAll(t *testing.T) {
	runStrategyCases(t, []strategyCase{
		{"one", Params{Strategy: All, M: 1}, Input{Losses: []float64{3}}, []int{0}},
		{"ignores M", Params{Strategy: All, M: 1}, Input{Losses: []float64{3, 1, 2, 0}}, []int{0, 1, 2, 3}},
		{"with labels and probs", Params{Strategy: All, M: 2}, Input{Losses: []float64{0, 0}, Labels: []int{1, 0}, TrueProb: []float64{1, 1}}, []int{0, 1}},
	})
}

func TestSelectTopK(t *testing.T) {
	runStrategyCases(t, []strategyCase{
		{"basic", Params{Strategy: TopK, M: 2}, Input{Losses: []float64{0.1, 2, 0.5, 3}}, []int{1, 3}},
		{"M=1", Params{Strategy: TopK, M: 1}, Input{Losses: []float64{0.1, 2, 0.5, 3}}, []int{3}},
		{"M=K", Params{Strategy: TopK, M: 4}, Input{Losses: []float64{0.1, 2, 0.5, 3}}, []int{0, 1, 2, 3}},
		{"ties to lower index", Params{Strategy: TopK, M: 2}, Input{Losses: []float64{1, 2, 1, 2, 2}}, []int{1, 3}},
		{"tie at the cut", Params{Strategy: TopK, M: 3}, Input{Losses: []float64{1, 5, 1, 0, 1}}, []int{0, 1, 2}},
		{"all equal", Params{Strategy: TopK, M: 3}, Input{Losses: slices.Repeat([]float64{0.7}, 20)}, []int{0, 1, 2}},
		{"zero losses", Params{Strategy: TopK, M: 2}, Input{Losses: []float64{0, 0, 0}}, []int{0, 1}},
		{"large K", Params{Strategy: TopK, M: 3}, Input{Losses: seq(100, 1)}, []int{97, 98, 99}},
	})
}

func TestSelectThreshold(t *testing.T) {
	losses := []float64{1, 1, 1, 1, 1, 1}
	runStrategyCases(t, []strategyCase{
		{"many qualify: all kept beyond M", Params{Strategy: Threshold, M: 2},
			Input{Losses: losses, TrueProb: []float64{0.1, 0.9, 0.69, 0.2, 0.7, 0.3}}, []int{0, 2, 3, 5}},
		{"exactly MinKept qualify", Params{Strategy: Threshold, M: 2},
			Input{Losses: losses, TrueProb: []float64{0.9, 0.1, 0.9, 0.9, 0.6, 0.9}}, []int{1, 4}},
		{"few qualify: the M lowest", Params{Strategy: Threshold, M: 3},
			Input{Losses: losses, TrueProb: []float64{0.9, 0.1, 0.95, 0.8, 0.99, 0.85}}, []int{1, 3, 5}},
		{"none qualify: the lowest", Params{Strategy: Threshold, M: 1},
			Input{Losses: losses, TrueProb: []float64{0.9, 0.8, 0.95, 0.85, 0.99, 1}}, []int{1}},
		{"floor ties to lower index", Params{Strategy: Threshold, M: 2},
			Input{Losses: losses, TrueProb: []float64{0.9, 0.8, 0.8, 0.8, 0.99, 1}}, []int{1, 2}},
		{"MinKept overrides M", Params{Strategy: Threshold, M: 1, MinKept: 4},
			Input{Losses: losses, TrueProb: []float64{0.9, 0.1, 0.95, 0.8, 0.99, 0.85}}, []int{0, 1, 3, 5}},
		{"MinKept = K keeps all", Params{Strategy: Threshold, M: 1, MinKept: 6},
			Input{Losses: losses, TrueProb: []float64{1, 1, 1, 1, 1, 1}}, []int{0, 1, 2, 3, 4, 5}},
		{"custom thresh", Params{Strategy: Threshold, M: 1, Thresh: 0.95},
			Input{Losses: losses, TrueProb: []float64{0.9, 0.1, 0.95, 0.8, 0.99, 0.85}}, []int{0, 1, 3, 5}},
		{"thresh 1 keeps all below certainty", Params{Strategy: Threshold, M: 1, Thresh: 1},
			Input{Losses: losses, TrueProb: []float64{1, 0.999, 1, 1, 1, 1}}, []int{1}},
		{"ignores losses", Params{Strategy: Threshold, M: 1},
			Input{Losses: []float64{9, 0, 9}, TrueProb: []float64{0.9, 0.5, 0.9}}, []int{1}},
	})
}

func TestSelectHardNeg(t *testing.T) {
	//                  0    1    2    3    4    5    6    7    8    9
	losses := []float64{0.1, 0.9, 0.5, 0.3, 0.8, 0.2, 0.7, 0.4, 0.6, 1.0}
	labels := []int{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	runStrategyCases(t, []strategyCase{
		{"one positive, 3:1 negatives", Params{Strategy: HardNeg, M: 5},
			Input{Losses: losses, Labels: labels}, []int{0, 1, 4, 9}},
		{"neg_pos 1", Params{Strategy: HardNeg, M: 5, NegPos: 1},
			Input{Losses: losses, Labels: labels}, []int{0, 9}},
		{"neg_pos 0.5 floored to min_neg", Params{Strategy: HardNeg, M: 5, NegPos: 0.5},
			Input{Losses: losses, Labels: labels}, []int{0, 9}},
		{"min_neg floor", Params{Strategy: HardNeg, M: 5, NegPos: 1, MinNeg: 3},
			Input{Losses: losses, Labels: labels}, []int{0, 1, 4, 9}},
		{"negatives capped by available", Params{Strategy: HardNeg, M: 5, NegPos: 100},
			Input{Losses: losses, Labels: labels}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"positives capped at M, hardest first", Params{Strategy: HardNeg, M: 2, NegPos: 1},
			Input{Losses: losses, Labels: []int{1, 1, 1, 0, 0, 0, 0, 0, 0, 1}}, []int{1, 4, 6, 9}},
		{"all positives", Params{Strategy: HardNeg, M: 3},
			Input{Losses: losses, Labels: slices.Repeat([]int{1}, 10)}, []int{1, 4, 9}},
		{"all positives, M=K", Params{Strategy: HardNeg, M: 10},
			Input{Losses: losses, Labels: slices.Repeat([]int{1}, 10)}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"no positives: min_neg hardest negatives", Params{Strategy: HardNeg, M: 3},
			Input{Losses: losses, Labels: make([]int, 10)}, []int{9}},
		{"no positives, min_neg 2", Params{Strategy: HardNeg, M: 3, MinNeg: 2},
			Input{Losses: losses, Labels: make([]int, 10)}, []int{1, 9}},
		{"positive label 0", Params{Strategy: HardNeg, M: 5, Positive: intp(0), NegPos: 1},
			Input{Losses: losses, Labels: []int{0, 1, 1, 1, 1, 1, 1, 1, 1, 1}}, []int{0, 9}},
		{"other labels are negatives", Params{Strategy: HardNeg, M: 5, NegPos: 1},
			Input{Losses: losses, Labels: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 7}}, []int{0, 9}},
		{"negative ties to lower index", Params{Strategy: HardNeg, M: 1, NegPos: 2},
			Input{Losses: []float64{1, 1, 1, 1}, Labels: []int{0, 0, 1, 0}}, []int{0, 1, 2}},
		{"fractional ratio", Params{Strategy: HardNeg, M: 3, NegPos: 1.5},
			Input{Losses: losses, Labels: []int{1, 1, 0, 0, 0, 0, 0, 0, 0, 0}}, []int{0, 1, 4, 6, 9}},
		{"ratio product rounding", Params{Strategy: HardNeg, M: 100, NegPos: 0.29},
			Input{Losses: slices.Repeat([]float64{1}, 200), Labels: append(slices.Repeat([]int{1}, 100), make([]int, 100)...)},
			seqInts(0, 129)},
	})
}

// seqInts returns lo, lo+1, ..., hi-1.
func seqInts(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

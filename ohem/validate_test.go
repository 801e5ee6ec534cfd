package ohem

import (
	"math"
	"strings"
	"testing"
)

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want string // substring of the error; "" for no error
	}{
		{"topk ok", Params{Strategy: TopK, M: 32}, ""},
		{"every field set", Params{Strategy: HardNeg, M: 4, Thresh: 1, MinKept: 3, NegPos: 0.5, MinNeg: 2, Positive: intp(0), Beta: 100, History: MaxHistory}, ""},
		{"unknown strategy", Params{Strategy: "hardest", M: 1}, `unknown strategy "hardest": want one of all, random, topk, threshold, hardneg, selective, offline`},
		{"empty strategy", Params{M: 1}, `unknown strategy ""`},
		{"m zero", Params{Strategy: All}, "m = 0 out of range: want 1 <= m <= K"},
		{"m negative", Params{Strategy: TopK, M: -3}, "m = -3 out of range"},
		{"thresh negative", Params{Strategy: Threshold, M: 1, Thresh: -0.1}, "thresh = -0.1 out of range: want 0 < thresh <= 1"},
		{"thresh above 1", Params{Strategy: Threshold, M: 1, Thresh: 1.5}, "thresh = 1.5 out of range"},
		{"thresh NaN", Params{Strategy: Threshold, M: 1, Thresh: math.NaN()}, "thresh = NaN out of range"},
		{"min_kept negative", Params{Strategy: Threshold, M: 1, MinKept: -1}, "min_kept = -1 out of range"},
		{"neg_pos negative", Params{Strategy: HardNeg, M: 1, NegPos: -2}, "neg_pos = -2 out of range: want 0 < neg_pos <= 1000"},
		{"neg_pos huge", Params{Strategy: HardNeg, M: 1, NegPos: 1e9}, "neg_pos = 1e+09 out of range"},
		{"neg_pos Inf", Params{Strategy: HardNeg, M: 1, NegPos: math.Inf(1)}, "neg_pos = +Inf out of range"},
		{"min_neg negative", Params{Strategy: HardNeg, M: 1, MinNeg: -1}, "min_neg = -1 out of range"},
		{"beta negative", Params{Strategy: Selective, M: 1, Beta: -1}, "beta = -1 out of range: want 0 < beta <= 100"},
		{"beta huge", Params{Strategy: Selective, M: 1, Beta: 101}, "beta = 101 out of range"},
		{"beta NaN", Params{Strategy: Selective, M: 1, Beta: math.NaN()}, "beta = NaN out of range"},
		{"history negative", Params{Strategy: Selective, M: 1, History: -1}, "history = -1 out of range: want 1 <= history <= 1048576"},
		{"history huge", Params{Strategy: Selective, M: 1, History: MaxHistory + 1}, "history = 1048577 out of range"},
		{"offline ok", Params{Strategy: Offline, M: 32, Refresh: 1, Pool: 100, Hard: 100}, ""},
		{"offline defaults", Params{Strategy: Offline, M: 2500}, ""},
		{"refresh negative", Params{Strategy: Offline, M: 1, Refresh: -1}, "refresh = -1 out of range: want 1 <= refresh <= 1000000 steps"},
		{"refresh huge", Params{Strategy: Offline, M: 1, Refresh: MaxRefresh + 1}, "refresh = 1000001 out of range"},
		{"pool negative", Params{Strategy: Offline, M: 1, Pool: -5}, "pool = -5 out of range: want 1 <= pool <= 10000000"},
		{"pool huge", Params{Strategy: Offline, M: 1, Pool: MaxPool + 1}, "pool = 10000001 out of range"},
		{"hard negative", Params{Strategy: Offline, M: 1, Hard: -1}, "hard = -1 out of range"},
		{"hard above pool", Params{Strategy: Offline, M: 1, Pool: 100, Hard: 101}, "hard = 101 out of range: want 1 <= hard <= pool = 100"},
		{"hard above default pool", Params{Strategy: Offline, M: 1, Hard: 10001}, "hard = 10001 out of range: want 1 <= hard <= pool = 10000"},
		{"m above hard", Params{Strategy: Offline, M: 64, Hard: 50}, "m = 64 out of range: want 1 <= m <= hard = 50"},
		{"m above default hard of a small pool", Params{Strategy: Offline, M: 32, Pool: 100}, "m = 32 out of range: want 1 <= m <= hard = 25"},
		{"hard above pool ignored by topk", Params{Strategy: TopK, M: 1, Pool: 100, Hard: 101}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.p, 1)
			if tc.want == "" {
				if err != nil || s == nil {
					t.Fatalf("New(%+v) = %v, %v; want a selector", tc.p, s, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New(%+v) succeeded, want error containing %q", tc.p, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ohem: ") {
				t.Errorf("New(%+v) error %q, want \"ohem: \" prefix and %q", tc.p, err, tc.want)
			}
			if s != nil {
				t.Errorf("New returned a selector with an error")
			}
		})
	}
}

func TestParamsDefaults(t *testing.T) {
	s := mustNew(t, Params{Strategy: Threshold, M: 8}, 1)
	got := s.Params()
	want := Params{Strategy: Threshold, M: 8, Thresh: DefaultThresh, MinKept: 8, NegPos: DefaultNegPos,
		MinNeg: DefaultMinNeg, Beta: DefaultBeta, History: DefaultHistory,
		Refresh: DefaultRefresh, Pool: DefaultPool, Hard: DefaultHard}
	if got.Positive == nil || *got.Positive != DefaultPositive {
		t.Fatalf("Positive = %v, want %d", got.Positive, DefaultPositive)
	}
	got.Positive = nil
	if got != want {
		t.Errorf("Params() = %+v, want %+v", got, want)
	}

	// Set values are kept, including Positive 0, and never aliased.
	pos := 0
	s = mustNew(t, Params{Strategy: HardNeg, M: 8, Thresh: 0.5, MinKept: 3, NegPos: 2, MinNeg: 4, Positive: &pos, Beta: 1, History: 10}, 1)
	got = s.Params()
	pos = 7
	if *got.Positive != 0 || got.Thresh != 0.5 || got.MinKept != 3 || got.NegPos != 2 || got.MinNeg != 4 || got.Beta != 1 || got.History != 10 {
		t.Errorf("Params() = %+v (positive %d), want the values given", got, *got.Positive)
	}
	*got.Positive = 5
	if p := *s.Params().Positive; p != 0 {
		t.Errorf("Params().Positive aliases the selector: now %d", p)
	}
}

func TestCheckFinite(t *testing.T) {
	tests := []struct {
		losses []float64
		want   string
	}{
		{nil, ""},
		{[]float64{0, 1, -2, 1e308}, ""},
		{[]float64{0, math.NaN()}, "loss 1 of 2 is NaN"},
		{[]float64{math.Inf(1), math.NaN()}, "loss 0 of 2 is +Inf"},
		{[]float64{1, 2, math.Inf(-1)}, "loss 2 of 3 is -Inf"},
	}
	for _, tc := range tests {
		err := CheckFinite(tc.losses)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckFinite(%v) = %v, want nil", tc.losses, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckFinite(%v) = %v, want error containing %q", tc.losses, err, tc.want)
		}
	}
}

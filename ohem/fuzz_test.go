package ohem

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// fuzzInput turns fuzzer bytes into a batch: one example per byte (at most
// 2048). With ties set, losses take 8 distinct values; with nan set, a
// byte 255 becomes a NaN loss. Labels are the low bit, the true-class
// probability is the byte over 255.
func fuzzInput(raw []byte, ties, nan bool) (in Input, hasNaN bool) {
	if len(raw) > 2048 {
		raw = raw[:2048]
	}
	in = Input{Losses: make([]float64, len(raw)), Labels: make([]int, len(raw)), TrueProb: make([]float64, len(raw))}
	for i, b := range raw {
		switch {
		case nan && b == 255:
			in.Losses[i] = math.NaN()
			hasNaN = true
		case ties:
			in.Losses[i] = float64(b % 8)
		default:
			in.Losses[i] = float64(b) * 0.37
		}
		in.Labels[i] = int(b & 1)
		in.TrueProb[i] = float64(b) / 255
	}
	return in, hasNaN
}

// FuzzSelect checks the invariants of every strategy on arbitrary batches:
// errors exactly for bad input; otherwise indices in range, increasing and
// unique, weights finite, positive and summing to 1, the same selection
// from the same seed, and each strategy's own promise (for topk: M kept,
// and no dropped loss above a kept one).
func FuzzSelect(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(2), uint16(3), int64(1), uint8(0))
	f.Add([]byte{9, 9, 9, 9}, uint8(2), uint16(4), int64(1), uint8(1))
	f.Add([]byte{0, 255, 3}, uint8(2), uint16(1), int64(1), uint8(2))
	f.Add([]byte{}, uint8(0), uint16(1), int64(0), uint8(0))
	f.Add([]byte{1, 2}, uint8(1), uint16(3), int64(5), uint8(0))
	f.Add([]byte{1, 2}, uint8(1), uint16(0), int64(5), uint8(0))
	f.Add([]byte{200, 10, 250, 30, 180, 60, 240}, uint8(3), uint16(2), int64(2), uint8(0x0c))
	f.Add([]byte{201, 11, 250, 31, 181, 61, 240, 3}, uint8(4), uint16(2), int64(3), uint8(0x30))
	f.Add([]byte{2, 4, 6, 8, 10}, uint8(4), uint16(2), int64(3), uint8(1))
	f.Add([]byte{1, 3, 5, 7}, uint8(4), uint16(4), int64(3), uint8(0xf0))
	f.Add([]byte("selective backprop keeps hard examples"), uint8(5), uint16(1), int64(4), uint8(0xc0))
	f.Add([]byte("the quick brown fox jumps over the lazy dog"), uint8(1), uint16(7), int64(-9), uint8(0))
	f.Fuzz(func(t *testing.T, raw []byte, strat uint8, m uint16, seed int64, opts uint8) {
		in, hasNaN := fuzzInput(raw, opts&1 != 0, opts&2 != 0)
		k := len(in.Losses)
		p := Params{
			Strategy: Strategies[int(strat)%len(Strategies)],
			M:        int(m) % (k + 2), // 0 and K+1 are errors
			Thresh:   float64(opts>>2&3) * 0.3,
			NegPos:   float64(opts>>4&3) * 0.75,
			MinNeg:   int(opts >> 6),
			Beta:     float64(opts>>6) * 1.5,
			History:  int(opts>>4) * 7,
		}
		if p.Strategy == Threshold {
			p.MinKept = int(opts>>5) % (p.M + 1)
		}
		a, err := New(p, seed)
		if p.M < 1 {
			if err == nil {
				t.Fatalf("New accepted M = %d", p.M)
			}
			return
		}
		if err != nil {
			t.Fatalf("New(%+v): %v", p, err)
		}
		b := mustNew(t, p, seed)
		got, w, err := a.Select(nil, nil, in)
		if wantErr := k == 0 || p.M > k || hasNaN; wantErr != (err != nil) {
			t.Fatalf("Select(k=%d, %+v, NaN %v) error = %v", k, p, hasNaN, err)
		}
		if err != nil {
			return
		}
		checkOutput(t, k, got, w)
		again, w2, err := b.Select(nil, nil, in)
		if err != nil || !slices.Equal(got, again) || !slices.Equal(w, w2) {
			t.Fatalf("same seed, different selection: %v and %v (%v)", got, again, err)
		}
		checkStrategy(t, a.Params(), in, got)
	})
}

// checkStrategy checks what each strategy promises about its selection.
func checkStrategy(t *testing.T, p Params, in Input, got []int) {
	t.Helper()
	k := len(in.Losses)
	kept := make([]bool, k)
	for _, i := range got {
		kept[i] = true
	}
	switch p.Strategy {
	case All, Offline:
		if len(got) != k {
			t.Fatalf("all kept %d of %d", len(got), k)
		}
	case Random:
		if len(got) != p.M {
			t.Fatalf("random kept %d, want M = %d", len(got), p.M)
		}
	case TopK:
		if len(got) != p.M {
			t.Fatalf("topk kept %d, want M = %d", len(got), p.M)
		}
		checkCut(t, in.Losses, kept, func(int) bool { return true })
		if want := refTop(in.Losses, p.M); !slices.Equal(got, want) {
			t.Fatalf("topk = %v, want %v", got, want)
		}
	case Threshold:
		below := 0
		for _, pr := range in.TrueProb {
			if pr < p.Thresh {
				below++
			}
		}
		if below >= p.MinKept {
			for i, pr := range in.TrueProb {
				if kept[i] != (pr < p.Thresh) {
					t.Fatalf("threshold %v: example %d (p = %v) kept = %v", p.Thresh, i, pr, kept[i])
				}
			}
			return
		}
		if len(got) != p.MinKept {
			t.Fatalf("threshold kept %d with %d below, want MinKept = %d", len(got), below, p.MinKept)
		}
		neg := make([]float64, k)
		for i, pr := range in.TrueProb {
			neg[i] = -pr
		}
		checkCut(t, neg, kept, func(int) bool { return true })
	case HardNeg:
		pos := *p.Positive
		var np, nn, kp, kn int
		for i, l := range in.Labels {
			if l == pos {
				np++
				if kept[i] {
					kp++
				}
			} else {
				nn++
				if kept[i] {
					kn++
				}
			}
		}
		wantKp := min(np, p.M)
		wantKn := min(max(int(math.Floor(p.NegPos*float64(wantKp)+1e-9)), p.MinNeg), nn)
		if kp != wantKp || kn != wantKn {
			t.Fatalf("hardneg kept %d of %d positives and %d of %d negatives, want %d and %d", kp, np, kn, nn, wantKp, wantKn)
		}
		checkCut(t, in.Losses, kept, func(i int) bool { return in.Labels[i] == pos })
		checkCut(t, in.Losses, kept, func(i int) bool { return in.Labels[i] != pos })
	case Selective:
		// At least one kept: checked by checkOutput.
	}
}

// checkCut checks that among the examples in the group no dropped one
// ranks above a kept one (higher key, or an equal key and a lower index).
func checkCut(t *testing.T, key []float64, kept []bool, group func(int) bool) {
	t.Helper()
	worstKept, bestDropped := -1, -1
	for i := range key {
		if !group(i) {
			continue
		}
		if kept[i] {
			if worstKept < 0 || before(key, worstKept, i) {
				worstKept = i
			}
		} else if bestDropped < 0 || before(key, i, bestDropped) {
			bestDropped = i
		}
	}
	if worstKept >= 0 && bestDropped >= 0 && before(key, bestDropped, worstKept) {
		t.Fatalf("dropped example %d (%v) ranks above kept example %d (%v)",
			bestDropped, key[bestDropped], worstKept, key[worstKept])
	}
}

// FuzzParams checks that Validate accepts exactly the params New accepts,
// that every refusal is an "ohem: " error naming a field or the strategy,
// and that every accepted params selects from a batch large enough for it.
func FuzzParams(f *testing.F) {
	f.Add("topk", 32, 0.0, 0, 0.0, 0, 0.0, 0)
	f.Add("threshold", 4, 0.5, 8, 0.0, 0, 0.0, 0)
	f.Add("hardneg", 4, 0.0, 0, 0.5, 3, 0.0, 0)
	f.Add("selective", 1, 0.0, 0, 0.0, 0, 1.5, 16)
	f.Add("selective", 1, 0.0, 0, 0.0, 0, 101.0, 1<<21)
	f.Add("bogus", 0, -1.0, -1, -1.0, -1, -1.0, -1)
	f.Fuzz(func(t *testing.T, strategy string, m int, thresh float64, minKept int, negPos float64, minNeg int, beta float64, hist int) {
		p := Params{Strategy: strategy, M: m, Thresh: thresh, MinKept: minKept, NegPos: negPos, MinNeg: minNeg, Beta: beta, History: hist}
		verr := p.Validate()
		s, err := New(p, 1)
		if (verr == nil) != (err == nil) {
			t.Fatalf("Validate = %v but New = %v", verr, err)
		}
		if err != nil {
			msg := err.Error()
			named := strings.Contains(msg, "strategy")
			for _, field := range []string{"m =", "thresh =", "min_kept =", "neg_pos =", "min_neg =", "beta =", "history ="} {
				named = named || strings.Contains(msg, field)
			}
			if !strings.HasPrefix(msg, "ohem: ") || !named {
				t.Fatalf("error %q does not name a field", msg)
			}
			return
		}
		k := max(p.M, p.MinKept)
		if k > 4096 {
			return // too large a batch to try on every input
		}
		in := fuzzBatch(k)
		idx, w, err := s.Select(nil, nil, in)
		if err != nil {
			t.Fatalf("Select(k=%d) with %+v: %v", k, p, err)
		}
		checkOutput(t, k, idx, w)
	})
}

// fuzzBatch returns a valid batch of k examples.
func fuzzBatch(k int) Input {
	in := Input{Losses: make([]float64, k), Labels: make([]int, k), TrueProb: make([]float64, k)}
	for i := range k {
		in.Losses[i] = float64(i%13) / 3
		in.TrueProb[i] = math.Exp(-in.Losses[i])
		in.Labels[i] = i % 3 % 2
	}
	return in
}

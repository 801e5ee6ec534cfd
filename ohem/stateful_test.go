package ohem

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSelectRandom(t *testing.T) {
	const k, m, rounds = 20, 5, 20000
	s := mustNew(t, Params{Strategy: Random, M: m}, 7)
	losses := make([]float64, k)
	counts := make([]int, k)
	var dst []int
	var w []float64
	for r := 0; r < rounds; r++ {
		var err error
		dst, w, err = s.Select(dst, w, Input{Losses: losses})
		if err != nil {
			t.Fatal(err)
		}
		checkOutput(t, k, dst, w)
		if len(dst) != m {
			t.Fatalf("kept %d, want M = %d", len(dst), m)
		}
		for _, i := range dst {
			counts[i]++
		}
	}
	// Each index is kept with probability m/k; allow 5 standard deviations.
	p := float64(m) / k
	mean, sd := rounds*p, math.Sqrt(rounds*p*(1-p))
	for i, c := range counts {
		if math.Abs(float64(c)-mean) > 5*sd {
			t.Errorf("index %d kept %d times in %d rounds, want about %.0f ± %.0f", i, c, rounds, mean, 5*sd)
		}
	}
}

func TestSelectRandomEdges(t *testing.T) {
	for _, tc := range []struct{ k, m int }{{1, 1}, {5, 5}, {5, 1}, {1000, 999}} {
		s := mustNew(t, Params{Strategy: Random, M: tc.m}, 3)
		got, w, err := s.Select(nil, nil, Input{Losses: make([]float64, tc.k)})
		if err != nil {
			t.Fatal(err)
		}
		checkOutput(t, tc.k, got, w)
		if len(got) != tc.m {
			t.Errorf("k=%d m=%d: kept %d", tc.k, tc.m, len(got))
		}
	}
}

// TestSelectSelectiveWarm warms the history with losses spread evenly over
// [0, 1), then checks that each batch example is kept at a rate close to
// its percentile cubed, so high losses are kept far more often.
func TestSelectSelectiveWarm(t *testing.T) {
	const hist = 1000
	s := mustNew(t, Params{Strategy: Selective, M: 1, History: hist}, 11)
	warm := make([]float64, hist)
	for i := range warm {
		warm[i] = (float64(i) + 0.5) / hist
	}
	if _, _, err := s.Select(nil, nil, Input{Losses: warm}); err != nil {
		t.Fatal(err)
	}
	batch := []float64{0.2, 0.5, 0.8, 0.95}
	const rounds = 4000
	kept := make([]int, len(batch))
	var dst []int
	var w []float64
	for r := 0; r < rounds; r++ {
		// Re-warm so the history stays (almost) uniform: the batch itself
		// joins the history each round.
		s.hist.reset()
		s.hist.push(warm)
		var err error
		dst, w, err = s.Select(dst, w, Input{Losses: batch})
		if err != nil {
			t.Fatal(err)
		}
		checkOutput(t, len(batch), dst, w)
		for _, i := range dst {
			kept[i]++
		}
	}
	// When no example is drawn the highest loss is kept: add that chance.
	none := 1.0
	for _, l := range batch {
		none *= 1 - math.Pow(l, DefaultBeta)
	}
	for i, l := range batch {
		rate := float64(kept[i]) / rounds
		want := math.Pow(l, DefaultBeta)
		if i == len(batch)-1 {
			want += none
		}
		if math.Abs(rate-want) > 0.04 {
			t.Errorf("loss %.2f kept at rate %.3f, want about %.3f (percentile^3)", l, rate, want)
		}
	}
	if !(kept[3] > 3*kept[1] && kept[2] > 2*kept[1] && kept[1] > 2*kept[0]) {
		t.Errorf("kept counts %v: high losses should be kept far more often", kept)
	}
}

// TestSelectSelectiveShift feeds batches drawn from the same distribution
// and checks that, once the history is warm, the top quarter of each batch
// is kept much more often than the bottom quarter, and that beta 1 keeps
// more than beta 3.
func TestSelectSelectiveShift(t *testing.T) {
	keptShare := func(beta float64) (top, bottom, total float64) {
		s := mustNew(t, Params{Strategy: Selective, M: 1, Beta: beta, History: 512}, 5)
		rng := rand.New(rand.NewPCG(9, 9))
		var dst []int
		var w []float64
		const k, rounds = 64, 300
		var nTop, nBottom, n int
		for r := 0; r < rounds; r++ {
			losses := randLosses(rng, k, false)
			var err error
			dst, w, err = s.Select(dst, w, Input{Losses: losses})
			if err != nil {
				t.Fatal(err)
			}
			checkOutput(t, k, dst, w)
			if r < 20 {
				continue // history still cold
			}
			q := Quantiles(nil, losses, []float64{0.25, 0.75})
			for _, i := range dst {
				switch {
				case losses[i] >= q[1]:
					nTop++
				case losses[i] <= q[0]:
					nBottom++
				}
			}
			n += len(dst)
		}
		return float64(nTop), float64(nBottom), float64(n)
	}
	top3, bottom3, n3 := keptShare(3)
	if top3 < 10*bottom3 {
		t.Errorf("beta 3: kept %v from the top quarter, %v from the bottom: want at least 10×", top3, bottom3)
	}
	_, _, n1 := keptShare(1)
	if n1 <= n3 {
		t.Errorf("beta 1 kept %v examples, beta 3 %v: want more with the smaller exponent", n1, n3)
	}
}

func TestSelectSelectiveAtLeastOne(t *testing.T) {
	// A history of high losses makes a low-loss batch's percentiles tiny.
	s := mustNew(t, Params{Strategy: Selective, M: 1, History: 100000, Beta: 100}, 1)
	if _, _, err := s.Select(nil, nil, Input{Losses: slices.Repeat([]float64{10}, 100000)}); err != nil {
		t.Fatal(err)
	}
	batch := []float64{0.1, 0.3, 0.2, 0.3, 0.05}
	got, w, err := s.Select(nil, nil, Input{Losses: batch})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, len(batch), got, w)
	if !slices.Equal(got, []int{1}) {
		t.Errorf("Select = %v, want [1]: the highest loss, ties to the lower index", got)
	}
}

func TestSelectSelectiveAllEqual(t *testing.T) {
	// Every loss is at the 100th percentile of a constant history.
	s := mustNew(t, Params{Strategy: Selective, M: 1}, 1)
	for r := 0; r < 3; r++ {
		got, w, err := s.Select(nil, nil, Input{Losses: slices.Repeat([]float64{0.5}, 16)})
		if err != nil {
			t.Fatal(err)
		}
		checkOutput(t, 16, got, w)
		if len(got) != 16 {
			t.Errorf("round %d: kept %d of 16 equal losses, want all", r, len(got))
		}
	}
}

// TestDeterminism runs two selectors with the same seed over the same
// batches for every strategy and expects the same selections, and a
// different seed to give different random selections.
func TestDeterminism(t *testing.T) {
	for _, strategy := range Strategies {
		t.Run(strategy, func(t *testing.T) {
			p := Params{Strategy: strategy, M: 16, History: 200}
			a, b, c := mustNew(t, p, 42), mustNew(t, p, 42), mustNew(t, p, 43)
			rng := rand.New(rand.NewPCG(1, 1))
			differ := false
			for r := 0; r < 50; r++ {
				in := randInput(rng, 64)
				ga, wa, errA := a.Select(nil, nil, in)
				gb, wb, errB := b.Select(nil, nil, in)
				gc, _, errC := c.Select(nil, nil, in)
				if errA != nil || errB != nil || errC != nil {
					t.Fatal(errA, errB, errC)
				}
				if !slices.Equal(ga, gb) || !slices.Equal(wa, wb) {
					t.Fatalf("round %d: same seed gave %v and %v", r, ga, gb)
				}
				differ = differ || !slices.Equal(ga, gc)
			}
			randomized := strategy == Random || strategy == Selective
			if differ != randomized {
				t.Errorf("another seed changed the selections: %v, want %v", differ, randomized)
			}
		})
	}
}

// randInput returns a batch with losses, binary labels and true-class
// probabilities consistent with the losses (p = exp(-loss)).
func randInput(rng *rand.Rand, k int) Input {
	in := Input{Losses: randLosses(rng, k, false), Labels: make([]int, k), TrueProb: make([]float64, k)}
	for i, l := range in.Losses {
		in.TrueProb[i] = math.Exp(-l)
		if rng.IntN(4) == 0 {
			in.Labels[i] = 1
		}
	}
	return in
}

func TestSetParams(t *testing.T) {
	s := mustNew(t, Params{Strategy: Selective, M: 2, History: 8}, 1)
	push := func(losses ...float64) {
		t.Helper()
		if _, _, err := s.Select(nil, nil, Input{Losses: losses}); err != nil {
			t.Fatal(err)
		}
	}
	history := func() []float64 { return slices.Clone(s.hist.sorted()) }
	push(1, 2, 3, 4, 5, 6)
	push(7, 8, 9)
	if got, want := history(), []float64{2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}

	// A bad change is refused and changes nothing.
	if err := s.SetParams(Params{Strategy: Selective, M: 0}); err == nil {
		t.Fatal("SetParams accepted M = 0")
	}
	if s.Params().M != 2 || len(history()) != 8 {
		t.Fatalf("failed SetParams changed the selector: %+v", s.Params())
	}

	// Staying selective keeps the history; shrinking keeps the newest.
	if err := s.SetParams(Params{Strategy: Selective, M: 3, Beta: 2, History: 4}); err != nil {
		t.Fatal(err)
	}
	if got, want := history(), []float64{6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Fatalf("after shrinking, history %v, want %v", got, want)
	}
	if p := s.Params(); p.M != 3 || p.Beta != 2 || p.History != 4 {
		t.Fatalf("Params() = %+v after SetParams", p)
	}
	// Growing keeps everything, and the ring goes on in order.
	if err := s.SetParams(Params{Strategy: Selective, M: 3, History: 6}); err != nil {
		t.Fatal(err)
	}
	push(10, 11, 12)
	if got, want := history(), []float64{7, 8, 9, 10, 11, 12}; !slices.Equal(got, want) {
		t.Fatalf("after growing, history %v, want %v", got, want)
	}

	// Switching away and back starts afresh.
	if err := s.SetParams(Params{Strategy: TopK, M: 1}); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Select(nil, nil, Input{Losses: []float64{1, 3, 2}})
	if err != nil || !slices.Equal(got, []int{1}) {
		t.Fatalf("after switching to topk: %v, %v", got, err)
	}
	if err := s.SetParams(Params{Strategy: Selective, M: 1, History: 6}); err != nil {
		t.Fatal(err)
	}
	push(20)
	if got := history(); !slices.Equal(got, []float64{20}) {
		t.Fatalf("after switching back to selective, history %v, want [20]", got)
	}
}

// TestSelectorReuseAcrossK changes the batch size live (through M) and
// checks the scratch buffers follow.
func TestSelectorReuseAcrossK(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, strategy := range Strategies {
		s := mustNew(t, Params{Strategy: strategy, M: 1}, 1)
		var dst []int
		var w []float64
		for _, k := range []int{10, 1000, 3, 500, 1} {
			m := max(1, k/4)
			if err := s.SetParams(Params{Strategy: strategy, M: m}); err != nil {
				t.Fatal(err)
			}
			in := randInput(rng, k)
			var err error
			dst, w, err = s.Select(dst, w, in)
			if err != nil {
				t.Fatalf("%s k=%d: %v", strategy, k, err)
			}
			checkOutput(t, k, dst, w)
			if strategy == TopK {
				if want := refTop(in.Losses, m); !slices.Equal(dst, want) {
					t.Fatalf("topk k=%d: %v, want %v", k, dst, want)
				}
			}
		}
	}
}

func TestSelectNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	in := randInput(rng, 512)
	for _, strategy := range Strategies {
		t.Run(strategy, func(t *testing.T) {
			s := mustNew(t, Params{Strategy: strategy, M: 128}, 1)
			dst, w := make([]int, 0, 512), make([]float64, 0, 512)
			allocs := testing.AllocsPerRun(20, func() {
				var err error
				dst, w, err = s.Select(dst, w, in)
				if err != nil {
					panic(fmt.Sprint(err))
				}
			})
			if allocs != 0 {
				t.Errorf("%s: %v allocations per Select in steady state, want 0", strategy, allocs)
			}
		})
	}
}

// TestHistoryMatchesNaive pushes batches of random sizes, with resizes in
// between, and compares the merged sorted history with a plain sort of the
// newest losses.
func TestHistoryMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	var h history
	h.resize(50)
	var all []float64 // every loss pushed since the last reset, oldest first
	for r := 0; r < 300; r++ {
		switch rng.IntN(20) {
		case 0:
			// Growing cannot bring back what was dropped: the history
			// keeps what it held, up to the new size.
			h.resize(1 + rng.IntN(80))
			all = all[len(all)-h.n:]
		case 1:
			h.reset()
			all = all[:0]
		}
		batch := randLosses(rng, rng.IntN(2*len(h.ring)+1), r%3 == 0)
		h.push(batch)
		all = append(all, batch...)
		want := slices.Clone(all[max(0, len(all)-len(h.ring)):])
		slices.Sort(want)
		if got := h.sorted(); !slices.Equal(got, want) {
			t.Fatalf("round %d (size %d): history %v, want %v", r, len(h.ring), got, want)
		}
	}
}

func TestUpperBound(t *testing.T) {
	a := []float64{1, 2, 2, 2, 3, 5, 8}
	for _, tc := range []struct {
		x    float64
		want int
	}{{0, 0}, {1, 1}, {1.5, 1}, {2, 4}, {2.5, 4}, {3, 5}, {4, 5}, {5, 6}, {8, 7}, {9, 7}} {
		if got := upperBound(a, tc.x); got != tc.want {
			t.Errorf("upperBound(%v, %v) = %d, want %d", a, tc.x, got, tc.want)
		}
	}
	if got := upperBound(nil, 1); got != 0 {
		t.Errorf("upperBound(nil, 1) = %d, want 0", got)
	}
	// Against a linear count on every prefix length.
	for n := 0; n <= len(a); n++ {
		for x := -1.0; x <= 9; x += 0.5 {
			want := 0
			for _, v := range a[:n] {
				if v <= x {
					want++
				}
			}
			if got := upperBound(a[:n], x); got != want {
				t.Fatalf("upperBound(%v, %v) = %d, want %d", a[:n], x, got, want)
			}
		}
	}
}

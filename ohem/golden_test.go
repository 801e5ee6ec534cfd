package ohem

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenBatch returns batch b of a fixed stream of K examples computed from
// a hash, not a random source, so the stream itself never changes.
func goldenBatch(b, k int) Input {
	in := Input{Losses: make([]float64, k), Labels: make([]int, k), TrueProb: make([]float64, k)}
	for i := range k {
		h := uint32(b*k+i)*2654435761 + 12345
		h ^= h >> 15
		h *= 2246822519
		h ^= h >> 13
		u := float64(h%10007) / 10007
		in.Losses[i] = -math.Log(1 - u*0.999)
		in.TrueProb[i] = math.Exp(-in.Losses[i])
		if h%5 == 0 {
			in.Labels[i] = 1
		}
	}
	return in
}

// TestGoldenSelections pins the selections every strategy makes from a
// fixed seed on a fixed stream of batches: a change here means runs saved
// or shared with an older build no longer reproduce. Run with -update after
// a deliberate change.
func TestGoldenSelections(t *testing.T) {
	params := []Params{
		{Strategy: All, M: 8},
		{Strategy: Random, M: 8},
		{Strategy: TopK, M: 8},
		{Strategy: Threshold, M: 4, Thresh: 0.4},
		{Strategy: HardNeg, M: 4},
		{Strategy: Selective, M: 1, History: 64},
		{Strategy: Selective, M: 1, History: 64, Beta: 1.5},
	}
	var out strings.Builder
	for _, p := range params {
		s := mustNew(t, p, 2024)
		fmt.Fprintf(&out, "%s m=%d thresh=%g beta=%g\n", p.Strategy, p.M, p.Thresh, p.Beta)
		for b := range 6 {
			idx, w, err := s.Select(nil, nil, goldenBatch(b, 32))
			if err != nil {
				t.Fatal(err)
			}
			checkOutput(t, 32, idx, w)
			fmt.Fprintf(&out, "  batch %d: %v\n", b, idx)
		}
	}
	path := filepath.Join("testdata", "select.golden")
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if out.String() != string(want) {
		t.Errorf("selections differ from %s (run go test -update after a deliberate change):\ngot:\n%s\nwant:\n%s", path, out.String(), want)
	}
}

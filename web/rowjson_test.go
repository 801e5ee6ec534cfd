package web

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ohemlab/ohemlab/internal/finitejson"
)

// TestRowJSONLikeFinitejson checks that Row.appendJSON writes the bytes
// finitejson.Marshal writes for the same row: ordinary, tiny, huge,
// negative, zero and non-finite numbers, with and without scanned.
func TestRowJSONLikeFinitejson(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	specials := []float64{0, math.Copysign(0, -1), 1e-7, 9.99e-7, 1e-6, 1e20, 1e21, 1.5e300, 5e-324,
		-2.5, 0.1, 1.0 / 3, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat32, 1e-45, 123456789.125}
	num := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return specials[rng.IntN(len(specials))]
		case 1:
			return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
		}
		return rng.Float64() * 3
	}
	for i := range 20000 {
		r := Row{Seq: rng.Int64N(1 << 40), Arm: rng.IntN(2), Step: rng.Int64N(1 << 50), Version: rng.Int64N(100),
			BatchLoss: num(), SelLoss: num(), KeptShare: num(), SelFlippedShare: num(), Wall: num(),
			ExamplesSeen: rng.Int64N(1 << 40), ExamplesBackprop: rng.Int64N(1 << 40),
			ExamplesForward: rng.Int64N(1 << 40), ComputeFLOPs: rng.Int64() - rng.Int64()}
		for j := range r.Q {
			r.Q[j] = float32(num())
		}
		if i%3 == 0 {
			r.Scanned = rng.IntN(100000) - 10
		}
		want, err := finitejson.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); string(got) != string(want) {
			t.Fatalf("appendJSON:\n%s\nfinitejson.Marshal:\n%s", got, want)
		}
	}
}

// BenchmarkRowJSON measures encoding one history row, as the hub does for
// every batch.
func BenchmarkRowJSON(b *testing.B) {
	r := Row{Seq: 123456, Step: 98765, Version: 3, BatchLoss: 0.3141592653589793, SelLoss: 1.2345678901234,
		Q: [5]float32{0.001, 0.01234, 0.2345, 1.2345, 4.5678}, KeptShare: 0.7654321, SelFlippedShare: 0,
		ExamplesSeen: 12641280, ExamplesBackprop: 3160320, Wall: 263.123456789, ExamplesForward: 12641280}
	b.Run("appendJSON", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = r.appendJSON(buf[:0])
		}
	})
	b.Run("finitejson", func(b *testing.B) {
		for b.Loop() {
			finitejson.Marshal(r)
		}
	})
}

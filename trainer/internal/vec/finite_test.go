package vec

import (
	"math"
	"math/rand"
	"testing"
)

// TestFirstNonFinite holds FirstNonFinite to FirstNonFiniteGo with NaN,
// ±Inf, the largest finite values and subnormals at every position of
// slices around the 32-value block.
func TestFirstNonFinite(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc00001), math.Float32frombits(0xff800001)}
	good := []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1, -2.5}
	rng := rand.New(rand.NewSource(6))
	for _, n := range []int{0, 1, 31, 32, 33, 64, 95, 100, 200} {
		x := make([]float32, n)
		for i := range x {
			x[i] = good[rng.Intn(len(good))]
		}
		if got := FirstNonFinite(x); got != -1 {
			t.Fatalf("n %d all finite: %d", n, got)
		}
		for at := 0; at < n; at++ {
			for _, b := range bad {
				y := append([]float32(nil), x...)
				y[at] = b
				if at+1 < n {
					y[n-1] = b // a later one must not be reported first
				}
				if got, want := FirstNonFinite(y), FirstNonFiniteGo(y); got != want || want != at {
					t.Fatalf("n %d: %v at %d: got %d, Go %d", n, b, at, got, want)
				}
			}
		}
	}
}

// BenchmarkFirstNonFinite scans the MNIST model's 203,530 parameters.
func BenchmarkFirstNonFinite(b *testing.B) {
	x := make([]float32, 203530)
	for b.Loop() {
		FirstNonFinite(x)
	}
}

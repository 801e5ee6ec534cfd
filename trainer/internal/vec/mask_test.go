package vec

import (
	"math"
	"math/rand"
	"testing"
)

// TestMaskedProd holds MaskedProd (vectorised where the CPU allows) to
// MaskedProdGo bit for bit, for ±0, ±Inf, NaN and ordinary values, at every
// length and offset around the vector width.
func TestMaskedProd(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1.5, -2.25, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40}
	rng := rand.New(rand.NewSource(5))
	const size = 70
	x, v := make([]float32, size), make([]float32, size)
	for i := range x {
		x[i] = special[rng.Intn(len(special))]
		v[i] = special[rng.Intn(len(special))]
	}
	for off := range 3 {
		for n := 0; off+n <= size; n++ {
			got, want := make([]float32, n), make([]float32, n)
			MaskedProd(got, v[off:off+n], x[off:off+n])
			MaskedProdGo(want, v[off:off+n], x[off:off+n])
			if !SameBits(got, want) {
				t.Fatalf("off %d n %d: %v, want %v", off, n, got, want)
			}
		}
	}
}

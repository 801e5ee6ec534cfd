package vec

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// sparseRow returns n values of which about density are non-zero (with
// some -0s, which count as zero).
func sparseRow(rng *rand.Rand, n int, density float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch {
		case rng.Float64() < density:
			x[i] = float32(rng.NormFloat64())
		case rng.Intn(8) == 0:
			x[i] = float32(math.Copysign(0, -1))
		}
	}
	return x
}

// TestNonZeros holds NonZeros (vectorised where the CPU allows) to
// NonZerosGo and to the definition, at every length around the vector
// width and at densities from all-zero to dense, with NaN and Inf.
func TestNonZeros(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, density := range []float64{0, 0.05, 0.2, 0.5, 0.9, 1} {
		for n := 0; n <= 70; n++ {
			x := sparseRow(rng, n, density)
			if n > 3 {
				x[rng.Intn(n)] = float32(math.NaN())
				x[rng.Intn(n)] = float32(math.Inf(-1))
			}
			idx, vals := make([]int32, n), make([]float32, n)
			gi, gv := make([]int32, n), make([]float32, n)
			k := NonZeros(idx, vals, x)
			kg := NonZerosGo(gi, gv, x)
			var want []int32
			for p, v := range x {
				if v != 0 {
					want = append(want, int32(p))
				}
			}
			if k != len(want) || kg != len(want) {
				t.Fatalf("density %v n %d: %d and %d non-zeros, want %d", density, n, k, kg, len(want))
			}
			for e, p := range want {
				if idx[e] != p || gi[e] != p || math.Float32bits(vals[e]) != math.Float32bits(x[p]) || !SameBits(vals[e:e+1], gv[e:e+1]) {
					t.Fatalf("density %v n %d entry %d: (%d %v), Go (%d %v), want (%d %v)", density, n, e, idx[e], vals[e], gi[e], gv[e], p, x[p])
				}
			}
		}
	}
}

// gatherRef is GatherAxpy in float64, the reference for both kernels.
func gatherRef(dst []float32, alpha float32, idx []int32, vals, src []float32, lds int) []float64 {
	out := make([]float64, len(dst))
	for j := range dst {
		var s float64
		for e, p := range idx {
			s += float64(vals[e]) * float64(src[int(p)*lds+j])
		}
		out[j] = float64(dst[j]) + float64(alpha)*s
	}
	return out
}

// TestGatherAxpy checks GatherAxpy and GatherAxpyGo against a float64
// reference for widths around and beyond the 64-column block, leading
// dimensions wider than the row, no entries and many, alpha variants.
func TestGatherAxpy(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, width := range []int{1, 7, 63, 64, 65, 100, 128, 200, 256} {
		for _, extra := range []int{0, 3} {
			for _, entries := range []int{0, 1, 9, 150} {
				for _, alpha := range []float32{1, -0.1} {
					lds, rows := width+extra, 300
					src := sparseRow(rng, rows*lds, 1)
					idx, vals := make([]int32, entries), make([]float32, entries)
					for e := range idx {
						idx[e] = int32(rng.Intn(rows))
						vals[e] = float32(rng.NormFloat64())
					}
					start := sparseRow(rng, width, 1)
					want := gatherRef(start, alpha, idx, vals, src, lds)
					for name, f := range map[string]func([]float32, float32, []int32, []float32, []float32, int){"GatherAxpy": GatherAxpy, "GatherAxpyGo": GatherAxpyGo} {
						got := append([]float32(nil), start...)
						f(got, alpha, idx, vals, src, lds)
						for j := range got {
							if d := math.Abs(float64(got[j]) - want[j]); d > 1e-4*(1+math.Abs(want[j])) {
								t.Fatalf("%s width %d lds %d entries %d alpha %v: column %d = %v, want %v", name, width, lds, entries, alpha, j, got[j], want[j])
							}
						}
					}
				}
			}
		}
	}
}

// TestGatherAxpyRange checks that an index past src's rows panics instead
// of reading beyond it.
func TestGatherAxpyRange(t *testing.T) {
	for _, width := range []int{10, 64, 128} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic for an index out of range")
				}
			}()
			src := make([]float32, 4*width)
			GatherAxpy(make([]float32, width), 1, []int32{1, 4}, []float32{1, 1}, src, width)
		})
	}
}

// FuzzGatherAxpy holds the two kernels to each other on arbitrary sparse
// rows built from the fuzzer's bytes.
func FuzzGatherAxpy(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 7, 0, 200, 3}, uint8(64), int64(1))
	f.Add([]byte{}, uint8(65), int64(2))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 1, 2, 3}, uint8(130), int64(3))
	f.Fuzz(func(t *testing.T, row []byte, width uint8, seed int64) {
		w := int(width)%200 + 1
		x := make([]float32, len(row))
		for i, b := range row {
			x[i] = float32(b) / 255
		}
		idx, vals := make([]int32, len(x)), make([]float32, len(x))
		n := NonZeros(idx, vals, x)
		if ng := NonZerosGo(make([]int32, len(x)), make([]float32, len(x)), x); ng != n {
			t.Fatalf("NonZeros %d, NonZerosGo %d", n, ng)
		}
		rng := rand.New(rand.NewSource(seed))
		src := sparseRow(rng, len(x)*w, 1)
		got, ref := make([]float32, w), make([]float32, w)
		GatherAxpy(got, 1, idx[:n], vals[:n], src, w)
		GatherAxpyGo(ref, 1, idx[:n], vals[:n], src, w)
		// The dense product over the whole row, zeros included.
		for j := range got {
			var s float64
			for p, v := range x {
				s += float64(v) * float64(src[p*w+j])
			}
			if d := math.Abs(float64(got[j]) - s); d > 1e-4*(1+math.Abs(s)) || math.Abs(float64(ref[j])-s) > 1e-4*(1+math.Abs(s)) {
				t.Fatalf("column %d: %v (Go %v), dense %v", j, got[j], ref[j], s)
			}
		}
	})
}

// BenchmarkGatherAxpy times one 784-input row of MNIST-like density (a
// fifth non-zero) times a 784×256 matrix, sparse against the dense row.
func BenchmarkGatherAxpy(b *testing.B) {
	rng := rand.New(rand.NewSource(5))
	const in, out = 784, 256
	w := sparseRow(rng, in*out, 1)
	x := sparseRow(rng, in, 0.19)
	idx, vals := make([]int32, in), make([]float32, in)
	dst := make([]float32, out)
	b.Run("nonzeros", func(b *testing.B) {
		for b.Loop() {
			NonZeros(idx, vals, x)
		}
	})
	n := NonZeros(idx, vals, x)
	b.Run("sparse", func(b *testing.B) {
		for b.Loop() {
			GatherAxpy(dst, 1, idx[:n], vals[:n], w, out)
		}
	})
	all := make([]int32, in)
	for p := range all {
		all[p] = int32(p)
	}
	b.Run("dense", func(b *testing.B) {
		for b.Loop() {
			GatherAxpy(dst, 1, all, x, w, out)
		}
	})
}

// BenchmarkGatherBatch times a 128-row batch of MNIST-like density times a
// 784×256 matrix: row by row over all columns, or 64 columns at a time
// over all rows (that block of the matrix stays in the L2 cache).
func BenchmarkGatherBatch(b *testing.B) {
	rng := rand.New(rand.NewSource(5))
	const in, out, rows = 784, 256, 128
	w := sparseRow(rng, in*out, 1)
	idx, vals := make([][]int32, rows), make([][]float32, rows)
	for r := range rows {
		x := sparseRow(rng, in, 0.19)
		idx[r], vals[r] = make([]int32, in), make([]float32, in)
		n := NonZeros(idx[r], vals[r], x)
		idx[r], vals[r] = idx[r][:n], vals[r][:n]
	}
	dst := make([]float32, rows*out)
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			for r := range rows {
				GatherAxpy(dst[r*out:(r+1)*out], 1, idx[r], vals[r], w, out)
			}
		}
	})
	for _, cw := range []int{64, 128} {
		b.Run(fmt.Sprint("cols", cw), func(b *testing.B) {
			for b.Loop() {
				for c0 := 0; c0 < out; c0 += cw {
					for r := range rows {
						GatherAxpy(dst[r*out+c0:r*out+c0+cw], 1, idx[r], vals[r], w[c0:], out)
					}
				}
			}
		})
	}
}

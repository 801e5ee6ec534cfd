package model

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// sparseBatch returns n rows of in inputs of which about density are
// non-zero (MNIST-like values in (0, 1]); row 0 is all zero and, when
// n > 2, row 1 fully dense.
func sparseBatch(rng *rand.Rand, n, in int, density float64) []float32 {
	x := make([]float32, n*in)
	for i := range x {
		if rng.Float64() < density {
			x[i] = float32(rng.Intn(255)+1) / 255
		}
	}
	clear(x[:in])
	if n > 2 {
		for p := in; p < 2*in; p++ {
			x[p] = float32(rng.Intn(255)+1) / 255
		}
	}
	return x
}

func randn(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// refMulAdd is b + x·w in float64.
func refMulAdd(x, w, b []float32, n, in, out int) []float64 {
	z := make([]float64, n*out)
	for i := range n {
		for j := range out {
			s := float64(b[j])
			for p := range in {
				s += float64(x[i*in+p]) * float64(w[p*out+j])
			}
			z[i*out+j] = s
		}
	}
	return z
}

// refXtDz is g·beta + alpha·xᵀ·dz in float64.
func refXtDz(g []float32, beta, alpha float32, x, dz []float32, n, in, out int) []float64 {
	r := make([]float64, in*out)
	for p := range in {
		for j := range out {
			var s float64
			for i := range n {
				s += float64(x[i*in+p]) * float64(dz[i*out+j])
			}
			r[p*out+j] = float64(beta)*float64(g[p*out+j]) + float64(alpha)*s
		}
	}
	return r
}

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// sparseShapes are the first-layer shapes the sparse products are tested
// on: MNIST's, widths below, at and past the 64-column block, odd sizes.
var sparseShapes = [][3]int{{128, 784, 256}, {32, 784, 256}, {1, 1, 1}, {3, 5, 7}, {9, 20, 64}, {7, 33, 65}, {5, 100, 130}, {17, 50, 200}, {2, 16, 10}}

// TestSparseProductsMatchDense holds the sparse forward product and
// weight gradient to float64 references and to the dense products, over
// shapes and densities from all-zero to dense (with an all-zero and a
// fully dense row in every batch).
func TestSparseProductsMatchDense(t *testing.T) {
	defer func(d float64) { sparseMaxDensity = d }(sparseMaxDensity)
	sparseMaxDensity = 1 // take the sparse path at every density
	rng := rand.New(rand.NewSource(7))
	for _, s := range sparseShapes {
		n, in, out := s[0], s[1], s[2]
		for _, density := range []float64{0, 0.02, 0.19, 0.5, 1} {
			name := fmt.Sprintf("%dx%dx%d density %v", n, in, out, density)
			x := sparseBatch(rng, n, in, density)
			w, b, dz := randn(rng, in*out), randn(rng, out), randn(rng, n*out)
			var rows sparseRows
			if !rows.scan(x, n, in) {
				t.Fatalf("%s: scan refused the sparse path", name)
			}
			nnz := 0
			for _, v := range x {
				if v != 0 {
					nnz++
				}
			}
			if int(rows.ptr[n]) != nnz {
				t.Fatalf("%s: %d non-zeros, want %d", name, rows.ptr[n], nnz)
			}
			z, zd := make([]float32, n*out), make([]float32, n*out)
			rows.mulAdd(z, w, b, out)
			denseMulAdd(zd, x, w, b, n, in, out)
			want := refMulAdd(x, w, b, n, in, out)
			near(t, name+" forward", z, want)
			near(t, name+" dense forward", zd, want)

			g := randn(rng, in*out)
			upd := append([]float32(nil), g...)
			rows.addXtDz(upd, -0.1, dz, out, false)
			near(t, name+" update", upd, refXtDz(g, 1, -0.1, x, dz, n, in, out))
			grad := append([]float32(nil), g...)
			rows.addXtDz(grad, 1, dz, out, true)
			near(t, name+" gradient", grad, refXtDz(g, 0, 1, x, dz, n, in, out))
		}
	}
}

// TestSparseScanThreshold checks that the sparse path is taken exactly
// up to sparseMaxDensity and never when switched off.
func TestSparseScanThreshold(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	const n, in = 64, 100
	var rows sparseRows
	sparse := sparseBatch(rng, n, in, sparseMaxDensity/3)
	if !rows.scan(sparse, n, in) {
		t.Error("a batch a third as dense as the threshold takes the dense path")
	}
	if rows.scan(sparseBatch(rng, n, in, 1), n, in) {
		t.Error("a dense batch takes the sparse path")
	}
	if rows.scan(sparseBatch(rng, n, in, math.Min(1, 2*sparseMaxDensity)), n, in) {
		t.Error("a batch twice as dense as the threshold takes the sparse path")
	}
	prev := SetSparseInputs(false)
	defer SetSparseInputs(prev)
	if !prev {
		t.Error("sparse inputs were off by default")
	}
	if rows.scan(sparse, n, in) {
		t.Error("SetSparseInputs(false) left the sparse path on")
	}
}

// FuzzSparseFirstLayer holds the sparse forward product to the dense one
// on batches whose non-zero pattern comes from the fuzzer's bytes.
func FuzzSparseFirstLayer(f *testing.F) {
	f.Add([]byte{0, 0, 9, 0, 0, 0, 255, 1}, uint8(3), uint8(70))
	f.Add([]byte{}, uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, pix []byte, rowsB, outB uint8) {
		n := int(rowsB)%8 + 1
		out := int(outB)%150 + 1
		in := len(pix)/n + 1
		x := make([]float32, n*in)
		for i, p := range pix {
			if i < len(x) {
				x[i] = float32(p) / 255
			}
		}
		rng := rand.New(rand.NewSource(int64(len(pix))))
		w, b := randn(rng, in*out), randn(rng, out)
		defer func(d float64) { sparseMaxDensity = d }(sparseMaxDensity)
		sparseMaxDensity = 1
		var rows sparseRows
		if !rows.scan(x, n, in) {
			t.Fatal("scan refused the sparse path")
		}
		z := make([]float32, n*out)
		rows.mulAdd(z, w, b, out)
		near(t, "forward", z, refMulAdd(x, w, b, n, in, out))
	})
}

// BenchmarkFirstLayer times the first layer's products on the training
// step's shapes (784 inputs, 256 units) at MNIST's density (19% non-zero)
// and denser: sparse (including the scan of the batch) against the
// build's dense BLAS product. The forward product is over K=128 rows, the
// SGD update of the weights over M=32.
//
//	go test ./trainer/internal/model -run '^$' -bench FirstLayer
func BenchmarkFirstLayer(b *testing.B) {
	defer func(d float64) { sparseMaxDensity = d }(sparseMaxDensity)
	sparseMaxDensity = 1
	const in, out = 784, 256
	rng := rand.New(rand.NewSource(9))
	w, bias := randn(rng, in*out), randn(rng, out)
	for _, density := range []float64{0.19, 0.3, 0.4, 0.6} {
		x := sparseBatch(rng, 128, in, density)
		z := make([]float32, 128*out)
		var rows sparseRows
		b.Run(fmt.Sprintf("forward-128/density-%v/sparse", density), func(b *testing.B) {
			for b.Loop() {
				rows.scan(x, 128, in)
				rows.mulAdd(z, w, bias, out)
			}
		})
		b.Run(fmt.Sprintf("forward-128/density-%v/dense-%s", density, BLAS), func(b *testing.B) {
			for b.Loop() {
				denseMulAdd(z, x, w, bias, 128, in, out)
			}
		})
		x32, dz := x[:32*in], randn(rng, 32*out)
		tg := &tailGrads{n: 32, in: in, out: out}
		b.Run(fmt.Sprintf("sgd-32/density-%v/sparse", density), func(b *testing.B) {
			for b.Loop() {
				tg.rows.scan(x32, 32, in)
				tg.rows.addXtDz(w, -1e-9, dz, out, false)
			}
		})
		b.Run(fmt.Sprintf("sgd-32/density-%v/dense-%s", density, BLAS), func(b *testing.B) {
			prev := SetSparseInputs(false)
			defer SetSparseInputs(prev)
			for b.Loop() {
				tg.rows.scan(x32, 32, in)
				denseXtDz(w, -1e-9, 1, x32, dz, 32, in, out)
			}
		})
	}
}

// BenchmarkSparseColumns times the column view of M=32 rows at MNIST's
// density, which the weight update builds every step.
func BenchmarkSparseColumns(b *testing.B) {
	rng := rand.New(rand.NewSource(10))
	x := sparseBatch(rng, 32, 784, 0.19)
	var rows sparseRows
	rows.scan(x, 32, 784)
	for b.Loop() {
		rows.columns()
	}
}

// TestFiniteNamesTheTensor checks that MLP.Finite finds a NaN or Inf in
// any parameter tensor and names the first bad one.
func TestFiniteNamesTheTensor(t *testing.T) {
	m := NewMLP(70, []int{40}, 3, reluAct, rand.New(rand.NewSource(11)))
	if ok, what := m.Finite(); !ok {
		t.Fatalf("a fresh model is not finite: %s", what)
	}
	want := []string{"layer 1 weights", "layer 1 bias", "layer 2 weights", "layer 2 bias"}
	for i, v := range m.Values() {
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
			at := len(v) - 1
			old := v[at]
			v[at] = bad
			ok, what := m.Finite()
			v[at] = old
			if ok || what != want[i] {
				t.Errorf("%v in tensor %d: ok %v, %q, want %q", bad, i, ok, what, want[i])
			}
		}
	}
}

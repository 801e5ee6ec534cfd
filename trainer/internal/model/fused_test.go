package model

import (
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/ohemlab/ohemlab/trainer/internal/vec"
)

// TestFusedOpsMatchGorgonia builds cost = Σ relu(x + b) ⊙ w twice, with
// the fused ops and with Gorgonia's (BroadcastAdd, Rectify, HadamardProd
// and Sum), and holds the activations, the cost and the gradients of x and
// b to the same bits, for values that include zeros, negative zeros and
// negatives, with and without a NaN.
func TestFusedOpsMatchGorgonia(t *testing.T) {
	for _, withNaN := range []bool{false, true} {
		testFusedOps(t, withNaN)
	}
}

func testFusedOps(t *testing.T, withNaN bool) {
	const rows, cols = 7, 19
	rng := rand.New(rand.NewSource(3))
	xs := make([]float32, rows*cols)
	for i := range xs {
		switch i % 11 {
		case 0:
			xs[i] = 0
		case 1:
			xs[i] = float32(math.Copysign(0, -1))
		case 2:
			xs[i] = -1.5
			if withNaN && i == 2 {
				xs[i] = float32(math.NaN())
			}
		default:
			xs[i] = float32(rng.NormFloat64())
		}
	}
	bs := make([]float32, cols)
	ws := make([]float32, rows*cols)
	for i := range bs {
		bs[i] = float32(rng.NormFloat64() * 0.5)
	}
	for i := range ws {
		ws[i] = float32(rng.NormFloat64())
	}
	run := func(fused bool) (out, c, dx, db []float32) {
		g := G.NewGraph()
		x, xb := input(g, "x", rows, cols)
		b, bb := input(g, "b", 1, cols)
		w, wb := input(g, "w", rows, cols)
		copy(xb, xs)
		copy(bb, bs)
		copy(wb, ws)
		var h *G.Node
		var err error
		if fused {
			if h, err = biasAdd(x, b); err == nil {
				h, err = relu(h)
			}
		} else {
			if h, err = G.BroadcastAdd(x, b, nil, []byte{0}); err == nil {
				h, err = G.Rectify(h)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		var cost *G.Node
		if fused {
			cost, err = dotCost(h, w)
		} else {
			var prod *G.Node
			if prod, err = G.HadamardProd(h, w); err == nil {
				cost, err = G.Sum(prod)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		grads, err := G.Grad(cost, x, b)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.WithEngine(fastEngine{}))
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return valueData(t, h), valueData(t, cost), valueData(t, grads[0]), valueData(t, grads[1])
	}
	fo, fc, fdx, fdb := run(true)
	gro, gc, gdx, gdb := run(false)
	for _, c := range []struct {
		name      string
		got, want []float32
	}{{"activations", fo, gro}, {"cost", fc, gc}, {"dL/dx", fdx, gdx}, {"dL/db", fdb, gdb}} {
		if !vec.SameBits(c.got, c.want) {
			t.Errorf("NaN %v: %s: fused %v, Gorgonia %v", withNaN, c.name, c.got, c.want)
		}
	}
}

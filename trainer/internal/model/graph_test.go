package model

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/ohemlab/ohemlab/trainer/internal/vec"
)

// speedCase is a network and loss for the speed equivalence tests.
type speedCase struct {
	name   string
	in     int
	hidden []int
	tanh   bool
	ls     Loss
}

var speedCases = []speedCase{
	{"relu", 20, []int{16}, reluAct, Loss{}},
	{"tanh two layers", 12, []int{16, 8}, tanhAct, Loss{}},
	{"relu focal alpha", 20, []int{16}, reluAct, Loss{Gamma: 2, Alpha: true}},
	{"tanh focal", 12, []int{8, 8}, tanhAct, Loss{Gamma: 0.5}},
}

// fillGraph writes seeded inputs into a graph's bound slices: features,
// one-hot labels, weights summing to 1 and alphas.
func fillGraph(ng *Graph, classes int, rng *rand.Rand) {
	for i := range ng.X {
		ng.X[i] = float32(rng.NormFloat64())
	}
	if ng.Onehot == nil {
		return
	}
	clear(ng.Onehot)
	for r := 0; r < ng.N; r++ {
		ng.Onehot[r*classes+rng.Intn(classes)] = 1
		ng.Weight[r] = 1 / float32(ng.N)
	}
	for i := range ng.Alpha {
		ng.Alpha[i] = 0.25 + 0.5*float32(rng.Intn(2))
	}
}

// Activations of NewMLP, for readable test tables.
const (
	reluAct = false
	tanhAct = true
)

// actName names an activation for test output.
func actName(tanh bool) string {
	if tanh {
		return "tanh"
	}
	return "relu"
}

// maxDiff returns the largest absolute difference of two equally long
// slices.
func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// valueData returns a copy of a node's value as float32s.
func valueData(t *testing.T, n *G.Node) []float32 {
	t.Helper()
	switch v := n.Value().(type) {
	case *G.F32:
		return []float32{float32(*v)}
	case nil:
		t.Fatalf("node %v has no value", n)
	default:
		return append([]float32(nil), v.Data().([]float32)...)
	}
	return nil
}

// TestRewindMatchesReset runs identical training graphs on identical
// models, one rewound (registers kept) and one Reset (registers dropped),
// for several steps with SGD updates, and requires bit-identical outputs,
// gradients and parameters.
func TestRewindMatchesReset(t *testing.T) {
	testRunsAgree(t, func(g *Graph) bool { return g.rw != nil }, func(g *Graph) { g.rw = nil })
}

// TestSyncRunnerMatchesRunAll runs identical training graphs on identical
// models, one on the calling goroutine (syncRunner) and one through
// Gorgonia's RunAll, and requires the same outputs, gradients and updated
// parameters, bit for bit.
func TestSyncRunnerMatchesRunAll(t *testing.T) {
	on := func(g *Graph) bool {
		if g.run == nil && !syncRuns {
			g.run = newSyncRunner(g.vm) // this build runs graphs with RunAll
		}
		return g.run != nil
	}
	testRunsAgree(t, on, func(g *Graph) { g.run = nil })
}

// testRunsAgree trains two copies of each speed case for a few steps with
// forward and training graphs, the second set changed by off (which turns
// off the speed-up that on reports present in the first), and requires the
// same bits from both.
func testRunsAgree(t *testing.T, on func(*Graph) bool, off func(*Graph)) {
	const classes, n, steps = 3, 9, 6
	for _, c := range speedCases {
		t.Run(c.name, func(t *testing.T) {
			init := NewMLP(c.in, c.hidden, classes, c.tanh, rand.New(rand.NewSource(7)))
			var graphs [2][2]*Graph // [sped up, plain][forward, train]
			var models [2]*MLP
			for i := range graphs {
				models[i] = init.Clone()
				fg, err := BuildForward(models[i], n)
				if err != nil {
					t.Fatal(err)
				}
				tg, err := BuildTrain(models[i], n, c.ls)
				if err != nil {
					t.Fatal(err)
				}
				graphs[i] = [2]*Graph{fg, tg}
				t.Cleanup(fg.Close)
				t.Cleanup(tg.Close)
			}
			for _, g := range graphs[0] {
				if !on(g) {
					t.Fatal("speed-up not in use: the tape machine layout is not the one known (Gorgonia upgraded?)")
				}
			}
			for _, g := range graphs[1] {
				off(g)
			}
			for s := 0; s < steps; s++ {
				var outs [2][][]float32
				for i, gs := range graphs {
					rng := rand.New(rand.NewSource(int64(100 + s)))
					for _, g := range gs {
						fillGraph(g, classes, rng)
						if _, err := g.Run(nil); err != nil {
							t.Fatal(err)
						}
						outs[i] = append(outs[i], valueData(t, g.logp))
					}
					tg := gs[1]
					outs[i] = append(outs[i], valueData(t, tg.cost))
					for _, gn := range tg.grads {
						outs[i] = append(outs[i], valueData(t, gn))
					}
					gv, err := tg.gradValues(nil)
					if err != nil {
						t.Fatal(err)
					}
					if err := sgdUpdate(models[i].params, gv, 0.5); err != nil {
						t.Fatal(err)
					}
					for _, g := range gs {
						g.Reset()
					}
				}
				for j := range outs[0] {
					if !vec.SameBits(outs[0][j], outs[1][j]) {
						t.Fatalf("step %d output %d differs:\nrewound %v\nreset   %v", s, j, outs[0][j], outs[1][j])
					}
				}
			}
			for j, p := range models[0].params {
				if !vec.SameBits(p.Data().([]float32), models[1].params[j].Data().([]float32)) {
					t.Fatalf("parameter %d differs after %d steps", j, steps)
				}
			}
		})
	}
}

// TestRewindDropsArguments checks that after a rewind no register shares
// memory with an input or a parameter, so that no op of the next run can
// write into them.
func TestRewindDropsArguments(t *testing.T) {
	m := NewMLP(6, []int{5}, 3, reluAct, rand.New(rand.NewSource(1)))
	tg, err := BuildTrain(m, 4, Loss{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	fillGraph(tg, 3, rand.New(rand.NewSource(2)))
	if _, err := tg.Run(nil); err != nil {
		t.Fatal(err)
	}
	regs := *tg.rw.cpumem
	kept := 0
	for _, v := range regs {
		if v != nil {
			kept++
		}
	}
	if kept == 0 || len(tg.rw.args) < 5 {
		t.Fatalf("%d registers hold values, %d arguments known: nothing to test", kept, len(tg.rw.args))
	}
	tg.Reset()
	if *tg.rw.pc != 0 {
		t.Fatalf("pc = %d after rewind", *tg.rw.pc)
	}
	after := 0
	for i, v := range regs {
		if v == nil {
			continue
		}
		after++
		if tg.rw.sharesArg(v) {
			t.Fatalf("register %d still shares memory with an argument", i)
		}
	}
	if after == 0 || after == kept {
		t.Fatalf("%d of %d registers kept: want the intermediates kept and the arguments dropped", after, kept)
	}
}

// TestTrainGraphPruned checks that a training graph compiles no gradient
// nobody reads: per weight layer one matmul forward and one for the weight
// gradient, plus one for the input gradient of every layer but the first.
func TestTrainGraphPruned(t *testing.T) {
	for _, hidden := range [][]int{{16}, {16, 8}} {
		m := NewMLP(20, hidden, 3, reluAct, rand.New(rand.NewSource(1)))
		layers := len(hidden) + 1
		// Forward products, the weight gradients and the gradients of the
		// hidden inputs; not the gradient of x. A training graph leaves
		// the first layer's weight gradient to tailGrads, and computes
		// its forward product in the FirstLayer op.
		for kind, want := range map[graphKind]int{kindTrainFull: 3*layers - 1, kindTrain: 3*layers - 2} {
			tg, err := buildGraph(m, 9, kind, Loss{})
			if err != nil {
				t.Fatal(err)
			}
			matmuls := 0
			for _, nd := range tg.g.AllNodes() {
				if op := nd.Op(); op != nil && (strings.Contains(op.String(), "×") || op.String() == "FirstLayer") {
					matmuls++
				}
			}
			tg.Close()
			if matmuls != want {
				t.Errorf("hidden %v, kind %d: %d matrix products compiled, want %d", hidden, kind, matmuls, want)
			}
		}
	}
}

// TestFastEngineLogSoftMax compares the fast log-softmax with a float64
// reference (the standard engine is no reference: it overflows for rows far
// above the matrix's first element) and its gradient with the standard
// engine's, bit for bit, in place and with a reuse tensor.
func TestFastEngineLogSoftMax(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, tc := range []struct {
		rows, cols int
		scale      float64
	}{{1, 1, 1}, {1, 7, 1}, {7, 1, 1}, {128, 10, 3}, {32, 10, 40}, {5, 3, 200}, {16, 10, 1e4}, {4, 10, 1e30}} {
		t.Run(fmt.Sprintf("%dx%d*%g", tc.rows, tc.cols, tc.scale), func(t *testing.T) {
			size := tc.rows * tc.cols
			x, grad := make([]float32, size), make([]float32, size)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * tc.scale)
				grad[i] = float32(rng.NormFloat64())
			}
			mk := func(d []float32) *tensor.Dense {
				return tensor.New(tensor.WithShape(tc.rows, tc.cols), tensor.WithBacking(append([]float32(nil), d...)))
			}
			want := refLogSoftMax(x, tc.rows, tc.cols)
			outFast := mk(make([]float32, size))
			if _, err := (fastEngine{}).LogSoftMax(mk(x), -1, tensor.WithReuse(outFast), tensor.UseUnsafe()); err != nil {
				t.Fatal(err)
			}
			inPlace := mk(x)
			if _, err := (fastEngine{}).LogSoftMax(inPlace, -1, tensor.UseUnsafe()); err != nil {
				t.Fatal(err)
			}
			fresh, err := (fastEngine{}).LogSoftMax(mk(x), -1)
			if err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string][]float32{"reuse": outFast.Float32s(), "in place": inPlace.Float32s(), "new": fresh.Data().([]float32)} {
				for i, g := range got {
					w := want[i]
					if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) || math.Abs(float64(g)-w) > 1e-5*math.Max(1, math.Abs(w)) {
						t.Fatalf("%s: element %d = %v, want %v", name, i, g, w)
					}
				}
			}
			if tc.scale > 1e3 {
				return // the standard engine's forward overflows here: no gradient reference
			}
			dStd, dFast := mk(make([]float32, size)), mk(make([]float32, size))
			var std G.StandardEngine
			if _, err := std.LogSoftMaxB(outFast, mk(grad), -1, tensor.WithReuse(dStd), tensor.UseUnsafe()); err != nil {
				t.Fatal(err)
			}
			if _, err := (fastEngine{}).LogSoftMaxB(outFast, mk(grad), -1, tensor.WithReuse(dFast), tensor.UseUnsafe()); err != nil {
				t.Fatal(err)
			}
			if !vec.SameBits(dStd.Float32s(), dFast.Float32s()) {
				t.Fatalf("log-softmax gradient differs:\nstd  %v\nfast %v", dStd.Float32s(), dFast.Float32s())
			}
		})
	}
}

// refLogSoftMax is log-softmax per row in float64, shifted by the row's
// maximum.
func refLogSoftMax(x []float32, rows, cols int) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < rows; r++ {
		row := x[r*cols : (r+1)*cols]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		for j, v := range row {
			out[r*cols+j] = float64(v) - mx - math.Log(sum)
		}
	}
	return out
}

// TestStandardLogSoftMaxOverflows documents why the trainer does not use
// the standard engine's log-softmax: a row far above the matrix's first
// element becomes non-finite there.
func TestStandardLogSoftMaxOverflows(t *testing.T) {
	x := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{0, 0, 200, 100}))
	var std G.StandardEngine
	out, err := std.LogSoftMax(x, -1)
	if err != nil {
		t.Fatal(err)
	}
	if v := out.Data().([]float32)[2]; !math.IsInf(float64(v), -1) {
		t.Errorf("standard log-softmax of the row (200, 100) starts with %v, want -Inf: if it is fixed upstream, compare the fast engine with it bit for bit again", v)
	}
	fast, err := (fastEngine{}).LogSoftMax(x, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got := fast.Data().([]float32); got[2] != 0 || got[3] != -100 {
		t.Errorf("fast log-softmax of the row (200, 100) = %v, want (0, -100)", got[2:])
	}
}

// TestFastEngineFallsBack checks the cases the fast path leaves to the
// standard engine (float64, another axis) and one it handles itself (no
// reuse tensor), on values where both agree.
func TestFastEngineFallsBack(t *testing.T) {
	x32 := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 7}))
	x64 := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 7}))
	var e fastEngine
	for _, tc := range []struct {
		name string
		x    tensor.Tensor
		axis int
	}{{"no reuse", x32, -1}, {"float64", x64, 1}, {"axis 0", x32, 0}} {
		got, err := e.LogSoftMax(tc.x, tc.axis)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want, err := e.StandardEngine.StdEng.LogSoftMax(tc.x, tc.axis)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if fmt.Sprint(got.Data()) != fmt.Sprint(want.Data()) {
			t.Errorf("%s: %v, want %v", tc.name, got.Data(), want.Data())
		}
	}
}

// TestSGDUpdateMatchesVanillaSolver checks that the fused update rounds
// like Gorgonia's VanillaSolver, on tensors small and large enough to be
// split across cores.
func TestSGDUpdateMatchesVanillaSolver(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, size := range []int{1, 7, 4 * minParallel, 4*minParallel + 3} {
		w := make([]float32, size)
		g := make([]float32, size)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
			g[i] = float32(rng.NormFloat64() * 3)
		}
		g2 := append([]float32(nil), g...)
		wa := tensor.New(tensor.WithShape(size), tensor.WithBacking(append([]float32(nil), w...)))
		wb := tensor.New(tensor.WithShape(size), tensor.WithBacking(append([]float32(nil), w...)))
		if err := sgdUpdate([]*tensor.Dense{wa}, []G.Value{tensor.New(tensor.WithShape(size), tensor.WithBacking(g))}, 0.3); err != nil {
			t.Fatal(err)
		}
		vg := paramGrad{w: wb, g: tensor.New(tensor.WithShape(size), tensor.WithBacking(g2))}
		if err := G.NewVanillaSolver(G.WithLearnRate(0.3)).Step([]G.ValueGrad{vg}); err != nil {
			t.Fatal(err)
		}
		if !vec.SameBits(wa.Float32s(), wb.Float32s()) {
			t.Fatalf("size %d: fused update differs from VanillaSolver", size)
		}
	}
	if err := sgdUpdate([]*tensor.Dense{tensor.New(tensor.WithShape(2), tensor.Of(tensor.Float32))}, []G.Value{nil}, 0.1); err == nil {
		t.Error("sgdUpdate accepted a missing gradient")
	}
}

// TestParallelChunks checks that the chunks cover [0, n) exactly once.
func TestParallelChunks(t *testing.T) {
	for _, n := range []int{0, 1, minParallel - 1, 2 * minParallel, 5*minParallel + 11} {
		hits := make([]int32, n)
		parallelChunks(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i]++
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d covered %d times", n, i, h)
			}
		}
	}
}

// TestFastEngineGteScalar compares the ReLU mask with the standard
// engine's, through tensor.Gte as Gorgonia calls it, including NaN and
// values equal to the scalar.
func TestFastEngineGteScalar(t *testing.T) {
	x := []float32{-1, 0, 1, float32(math.NaN()), -0.0, 2.5, float32(math.Inf(-1)), 1e-30}
	for _, s := range []float32{0, 1, -2} {
		got := tensor.New(tensor.WithShape(2, 4), tensor.Of(tensor.Float32))
		want := tensor.New(tensor.WithShape(2, 4), tensor.Of(tensor.Float32))
		in := tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(append([]float32(nil), x...)), tensor.WithEngine(fastEngine{}))
		if _, err := tensor.Gte(in, s, tensor.AsSameType(), tensor.WithReuse(got)); err != nil {
			t.Fatal(err)
		}
		var std G.StandardEngine
		if _, err := std.GteScalar(tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(append([]float32(nil), x...))), s, true, tensor.AsSameType(), tensor.WithReuse(want)); err != nil {
			t.Fatal(err)
		}
		if !vec.SameBits(got.Float32s(), want.Float32s()) {
			t.Errorf("s=%g: mask %v, want %v", s, got.Float32s(), want.Float32s())
		}
		if !vec.SameBits(in.Float32s(), x) {
			t.Errorf("s=%g: input modified to %v", s, in.Float32s())
		}
	}
}

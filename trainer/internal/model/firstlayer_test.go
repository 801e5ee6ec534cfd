package model

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestTailGraphMatchesTrainGraph runs the two passes of a two-pass step
// (score graph over k rows, tail graph over the selected rows' first-layer
// pre-activations) and, on the same model, the full training graph over the
// selected rows, and requires the same log-probabilities, cost and
// gradients of every parameter, across activations, depths and losses.
func TestTailGraphMatchesTrainGraph(t *testing.T) {
	cases := []tailCase{
		{reluAct, []int{9}, Loss{}},
		{tanhAct, []int{9}, Loss{}},
		{reluAct, nil, Loss{}},
		{reluAct, []int{9, 5}, Loss{}},
		{tanhAct, []int{7, 6, 5}, Loss{Gamma: 2, Alpha: true}},
		{reluAct, []int{9}, Loss{Gamma: 1.5}},
	}
	// The references: Gorgonia's own gradients of every parameter, and the
	// training graph (which leaves the first layer to tailGrads too).
	for _, ref := range []graphKind{kindTrainFull, kindTrain} {
		for _, tc := range cases {
			testTailAgainst(t, ref, tc)
		}
	}
}

// tailCase is a model and loss of TestTailGraphMatchesTrainGraph.
type tailCase struct {
	tanh   bool
	hidden []int
	ls     Loss
}

// testTailAgainst runs one case of TestTailGraphMatchesTrainGraph with the
// training graph of kind ref as the reference.
func testTailAgainst(t *testing.T, ref graphKind, tc tailCase) {
	t.Run(fmt.Sprintf("ref %d %s %v %+v", ref, actName(tc.tanh), tc.hidden, tc.ls), func(t *testing.T) {
		const in, classes, k, n = 13, 4, 10, 4
		rng := rand.New(rand.NewSource(int64(len(tc.hidden)) + 7))
		m := NewMLP(in, tc.hidden, classes, tc.tanh, rng)
		for _, p := range m.params { // non-zero biases, so that db matters
			d := p.Data().([]float32)
			for i := range d {
				d[i] += float32(rng.NormFloat64() * 0.1)
			}
		}
		score, err := BuildScore(m, k)
		if err != nil {
			t.Fatal(err)
		}
		defer score.Close()
		tail, err := BuildTail(m, n, tc.ls)
		if err != nil {
			t.Fatal(err)
		}
		defer tail.Close()
		full, err := buildGraph(m, n, ref, tc.ls)
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		for step := 0; step < 3; step++ { // reruns reuse the registers
			fillGraph(score, classes, rng)
			if _, err := score.Run(nil); err != nil {
				t.Fatal(err)
			}
			rows := rng.Perm(k)[:n]
			fillGraph(full, classes, rng)
			w := len(tail.Z1) / n
			for r, i := range rows {
				copy(full.X[r*in:(r+1)*in], score.X[i*in:(i+1)*in])
				copy(tail.X[r*in:(r+1)*in], score.X[i*in:(i+1)*in])
				copy(tail.Z1[r*w:(r+1)*w], score.Z1[i*w:(i+1)*w])
			}
			full.Weight[0] = 0 // a padding row
			copy(tail.Onehot, full.Onehot)
			copy(tail.Weight, full.Weight)
			copy(tail.Alpha, full.Alpha)
			score.Reset()
			costF, err := full.Run(nil)
			if err != nil {
				t.Fatal(err)
			}
			costT, err := tail.Run(nil)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(costF-costT) > 1e-6*math.Max(1, math.Abs(costF)) {
				t.Fatalf("step %d: cost %v, want %v", step, costT, costF)
			}
			if d := maxDiff(valueData(t, tail.logp), valueData(t, full.logp)); d > 1e-6 {
				t.Fatalf("step %d: log-probabilities differ by %g", step, d)
			}
			gf, err := full.gradValues(nil)
			if err != nil {
				t.Fatal(err)
			}
			gt, err := tail.gradValues(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(gf) != len(m.params) || len(gt) != len(m.params) {
				t.Fatalf("%d and %d gradients for %d parameters", len(gf), len(gt), len(m.params))
			}
			for j := range gf {
				a, b := gf[j].Data().([]float32), gt[j].Data().([]float32)
				if d := maxDiff(a, b); d > 1e-6 || len(a) != len(b) {
					t.Fatalf("step %d: gradient of parameter %d differs by %g", step, j, d)
				}
				if j == 0 && maxAbs(a) == 0 {
					t.Fatalf("step %d: first-layer gradient is zero", step)
				}
			}
			full.Reset()
			tail.Reset()
		}
	})
}

// maxAbs returns the largest absolute value in v.
func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

// TestScoreGraphKeepsPreActivations checks that the score graph's z1 is
// x·W1 + b1 (not the activation written over it in place).
func TestScoreGraphKeepsPreActivations(t *testing.T) {
	for _, tanh := range []bool{reluAct, tanhAct} {
		act := actName(tanh)
		rng := rand.New(rand.NewSource(2))
		m := NewMLP(5, []int{6}, 3, tanh, rng)
		b := m.params[1].Data().([]float32)
		for i := range b {
			b[i] = float32(i) - 2.5
		}
		g, err := BuildScore(m, 4)
		if err != nil {
			t.Fatal(err)
		}
		fillGraph(g, 3, rng)
		if _, err := g.Run(nil); err != nil {
			t.Fatal(err)
		}
		w := m.params[0].Data().([]float32)
		negative := false
		for r := 0; r < 4; r++ {
			for j := 0; j < 6; j++ {
				want := float64(b[j])
				for i := 0; i < 5; i++ {
					want += float64(g.X[r*5+i]) * float64(w[i*6+j])
				}
				got := float64(g.Z1[r*6+j])
				if math.Abs(got-want) > 1e-5 {
					t.Fatalf("%s: z1[%d][%d] = %v, want %v", act, r, j, got, want)
				}
				negative = negative || want < -0.1
			}
		}
		if !negative {
			t.Fatalf("%s: no clearly negative pre-activation: the test cannot see an activation applied in place", act)
		}
		g.Reset()
		g.Close()
	}
}

// TestTailSGDStepMatchesUpdate compares the fused first-layer SGD update
// of a tail graph with forming the gradient and applying sgdUpdate.
func TestTailSGDStepMatchesUpdate(t *testing.T) {
	const in, classes, n = 11, 3, 5
	rng := rand.New(rand.NewSource(4))
	m := NewMLP(in, []int{8}, classes, reluAct, rng)
	tail, err := BuildTail(m, n, Loss{})
	if err != nil {
		t.Fatal(err)
	}
	defer tail.Close()
	fillGraph(tail, classes, rng)
	for i := range tail.Z1 {
		tail.Z1[i] = float32(rng.NormFloat64())
	}
	if _, err := tail.Run(nil); err != nil {
		t.Fatal(err)
	}
	viaGrads, fused := m.Clone(), m.Clone()
	gv, err := tail.gradValues(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sgdUpdate(viaGrads.params, gv, 0.3); err != nil {
		t.Fatal(err)
	}
	if err := tail.tail.sgdStep(tail.X, fused.params[0], fused.params[1], 0.3); err != nil {
		t.Fatal(err)
	}
	rest, err := tail.nodeGrads(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sgdUpdate(fused.params[2:], rest, 0.3); err != nil {
		t.Fatal(err)
	}
	for j := range m.params {
		a, b := viaGrads.params[j].Data().([]float32), fused.params[j].Data().([]float32)
		if d := maxDiff(a, b); d > 1e-6 {
			t.Fatalf("parameter %d differs by %g", j, d)
		}
		if maxDiff(a, m.params[j].Data().([]float32)) == 0 {
			t.Fatalf("parameter %d did not move", j)
		}
	}
	if err := tail.tail.sgdStep(tail.X[1:], fused.params[0], fused.params[1], 0.3); err == nil {
		t.Error("sgdStep accepted rows of the wrong size")
	}
}

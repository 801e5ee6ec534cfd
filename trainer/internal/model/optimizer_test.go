package model

import (
	"fmt"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/ohemlab/ohemlab/trainer/internal/vec"
)

// TestOptimizerMatchesDualValues steps SGD, momentum and Adam through
// Optimizer.Step and, on a twin model, through Gorgonia's usual path (a graph
// with every gradient, dual values bound by the machine), and requires the
// same parameters.
func TestOptimizerMatchesDualValues(t *testing.T) {
	for _, mc := range []struct {
		adam     bool
		momentum float64
	}{{false, 0}, {false, 0.9}, {true, 0}} {
		t.Run(fmt.Sprintf("adam %v momentum %g", mc.adam, mc.momentum), func(t *testing.T) {
			init := NewMLP(10, []int{8}, 3, reluAct, rand.New(rand.NewSource(9)))
			model, opt := init.Clone(), NewOptimizer(mc.adam, mc.momentum, 0.05)
			tgA, err := BuildTrain(model, 6, Loss{})
			if err != nil {
				t.Fatal(err)
			}
			defer tgA.Close()
			twin := init.Clone()
			tgB, err := buildGraph(twin, 6, kindTrainFull, Loss{})
			if err != nil {
				t.Fatal(err)
			}
			defer tgB.Close()
			vmB := G.NewTapeMachine(tgB.g, G.BindDualValues(tgB.learn...), G.WithEngine(fastEngine{}))
			defer vmB.Close()
			solverB := NewOptimizer(mc.adam, mc.momentum, 0.05).solver
			for s := 0; s < 4; s++ {
				fillGraph(tgA, 3, rand.New(rand.NewSource(int64(s))))
				fillGraph(tgB, 3, rand.New(rand.NewSource(int64(s))))
				if _, err := tgA.Run(nil); err != nil {
					t.Fatal(err)
				}
				if err := opt.Step(model, tgA); err != nil {
					t.Fatal(err)
				}
				tgA.Reset()
				tgB.foldTarget() // run does this; the test drives the machine itself
				if err := vmB.RunAll(); err != nil {
					t.Fatal(err)
				}
				if err := solverB.Step(G.NodesToValueGrads(tgB.learn)); err != nil {
					t.Fatal(err)
				}
				vmB.Reset()
			}
			// The first layer's gradient is a product of our own (the
			// training graph stops at its pre-activations), so its last
			// bits may differ from Gorgonia's; every other one is Gorgonia's.
			for j, p := range model.params {
				if d := maxDiff(p.Data().([]float32), twin.params[j].Data().([]float32)); d > 1e-6 {
					t.Fatalf("parameter %d differs by %g", j, d)
				}
			}
			if vec.SameBits(model.params[0].Data().([]float32), init.params[0].Data().([]float32)) {
				t.Fatal("parameters did not move")
			}
		})
	}
}

package model

import (
	"errors"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
)

// failOp is a ReLU whose execution fails.
type failOp struct{ reluOp }

var errFail = errors.New("failOp failed")

func (failOp) Do(...G.Value) (G.Value, error)                     { return nil, errFail }
func (failOp) UsePreallocDo(G.Value, ...G.Value) (G.Value, error) { return nil, errFail }

// TestSyncRunnerReportsErrors: an op that fails makes run return its error,
// as RunAll does, and the graph runs again after a Reset.
func TestSyncRunnerReportsErrors(t *testing.T) {
	g := G.NewGraph()
	x, _ := input(g, "x", 2, 3)
	if _, err := G.ApplyOp(failOp{reluOp{fusedOp{"Fail", 1}}}, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	r := newSyncRunner(vm)
	if r == nil {
		t.Fatal("no sync runner for a tape machine")
	}
	for range 2 {
		err := r.run()
		if err == nil || !errors.Is(err, errFail) && !strings.Contains(err.Error(), errFail.Error()) {
			t.Fatalf("run = %v, want %v", err, errFail)
		}
		vm.Reset()
	}
}

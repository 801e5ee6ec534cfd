package model

import (
	"errors"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/ohemlab/ohemlab/trainer/internal/vec"
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

// panicOp is a ReLU whose execution panics the first time.
type panicOp struct {
	reluOp
	fired *bool
}

func (o panicOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o panicOp) UsePreallocDo(p G.Value, in ...G.Value) (G.Value, error) {
	if !*o.fired {
		*o.fired = true
		panic("panicOp")
	}
	return o.reluOp.UsePreallocDo(p, in...)
}

// TestRunRewindsAfterPanic: a panic in an op reaches Run's caller, and the
// graph's next run starts from the first instruction and computes the
// right values.
func TestRunRewindsAfterPanic(t *testing.T) {
	g := G.NewGraph()
	x, xb := input(g, "x", 2, 3)
	copy(xb, []float32{-1, 2, -3, 4, 0, -0.5})
	fired := false
	out, err := G.ApplyOp(panicOp{reluOp{fusedOp{"PanicReLU", 1}}, &fired}, x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	ng := &Graph{N: 2, g: g, vm: vm, rw: newRewinder(vm, g), run: newSyncRunner(vm)}
	if ng.run == nil || ng.rw == nil {
		t.Fatal("no sync runner or rewinder for a tape machine")
	}
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("Run did not panic")
			}
		}()
		ng.Run(nil)
	}()
	if *ng.rw.pc != 0 {
		t.Fatalf("program counter %d after the panic, want 0", *ng.rw.pc)
	}
	if _, err := ng.Run(nil); err != nil {
		t.Fatal(err)
	}
	negZero := float32(math.Copysign(0, -1)) // a negative times the mask's 0
	want := []float32{negZero, 2, negZero, 4, 0, negZero}
	if got := valueData(t, out); !vec.SameBits(got, want) {
		t.Fatalf("second run: %v, want %v", got, want)
	}
}

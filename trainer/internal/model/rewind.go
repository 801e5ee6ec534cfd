package model

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// rewinder restarts a compiled Gorgonia tape machine for the next batch
// without dropping its registers, so that every operation writes into the
// tensor it produced last time instead of allocating a new one.
//
// G.VM.Reset rewinds the program counter and sets every register to nil:
// each run then reallocates all intermediate tensors (about 1.5 MB and
// hundreds of allocations per training step of the MNIST model). The tape
// machine itself is built for reuse: an op whose output register already
// holds a value runs UsePreallocDo into it (falling back to Do, which
// allocates, when the shape or type does not fit), and alloc instructions
// keep a register whose type and shape match. Only the rewind is missing
// from the public API, so the rewinder sets the unexported program counter
// through reflection.
//
// Registers may still hold argument values (inputs and parameters) loaded
// by the last run; an op whose output shares the register later in the next
// run would then write into them. rewind therefore drops every register
// whose memory overlaps an argument's. Every other register is written by
// the program before it is read, in the same order every run.
//
// newRewinder returns nil when the machine is not the tape machine layout
// it knows (another Gorgonia version): callers then use Reset.
type rewinder struct {
	pc     *int
	cpumem *[]G.Value
	args   []G.Value // values bound to the graph's argument nodes
}

// newRewinder returns a rewinder for vm, which runs g, or nil.
func newRewinder(vm G.VM, g *G.ExprGraph) *rewinder {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	m := v.Elem()
	if m.Type().Name() != "tapeMachine" {
		return nil
	}
	pc, cpu, gpu := m.FieldByName("pc"), m.FieldByName("cpumem"), m.FieldByName("gpumem")
	valuesType := reflect.TypeOf([]G.Value(nil))
	if !pc.IsValid() || pc.Kind() != reflect.Int || !cpu.IsValid() || cpu.Type() != valuesType ||
		!gpu.IsValid() || gpu.Type() != valuesType || gpu.Len() != 0 {
		return nil
	}
	r := &rewinder{
		pc:     (*int)(unsafe.Pointer(pc.UnsafeAddr())),
		cpumem: (*[]G.Value)(unsafe.Pointer(cpu.UnsafeAddr())),
	}
	for _, n := range g.AllNodes() {
		if n.Op() != nil {
			continue
		}
		if val := n.Value(); val != nil {
			r.args = append(r.args, val)
		}
	}
	return r
}

// rewind readies the machine for the next run, keeping its intermediate
// tensors.
func (r *rewinder) rewind() {
	*r.pc = 0
	regs := *r.cpumem
	for i, v := range regs {
		if v != nil && r.sharesArg(v) {
			regs[i] = nil
		}
	}
}

// sharesArg reports whether v's memory overlaps an argument's.
func (r *rewinder) sharesArg(v G.Value) bool {
	lo, hi := v.Uintptr(), v.Uintptr()+v.MemSize()
	for _, a := range r.args {
		alo, ahi := a.Uintptr(), a.Uintptr()+a.MemSize()
		if lo < ahi && alo < hi || lo == alo {
			return true
		}
	}
	return false
}

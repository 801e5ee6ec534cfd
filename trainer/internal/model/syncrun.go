package model

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

// syncRunner runs a compiled tape machine's program on the calling
// goroutine.
//
// G.VM.RunAll locks the caller to its OS thread, starts a goroutine that
// executes the program and blocks until that goroutine reports back: every
// run hands the processor to another thread and back again, two thread
// wake-ups that cost more than some of the ops they frame (a two-pass step
// runs two graphs, a plain step one), and on a busy machine each waits for
// a core; a panic in an op also ends the process there instead of reaching
// the step's recover. Without CUDA and without batched BLAS calls
// (Gorgonia's ExternMetadata holds neither here), RunAll does nothing but
// that around the program loop, so the runner calls the loop itself,
// reached through go:linkname (Gorgonia is pinned in go.mod;
// TestSyncRunnerMatchesRunAll holds the two to the same bits).
//
// Both builds use it (syncRuns; the openblas build kept RunAll while
// OpenBLAS multiplied the first layer). newSyncRunner returns nil when the machine is
// not the tape machine layout it knows (another Gorgonia version, batched
// BLAS): callers then use RunAll.
type syncRunner struct {
	m        unsafe.Pointer // the *tapeMachine
	closures *[]func() error
	errc     chan error
	done     chan struct{}
}

// tapeRunall is Gorgonia's (*tapeMachine).runall: it executes the program
// from the program counter to the end and then sends on doneChan, or sends
// the first error on errChan.
//
//go:linkname tapeRunall gorgonia.org/gorgonia.(*tapeMachine).runall
func tapeRunall(m unsafe.Pointer, errChan chan error, doneChan chan struct{})

// newSyncRunner returns a runner for vm, or nil.
func newSyncRunner(vm G.VM) *syncRunner {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	m := v.Elem()
	if m.Type().Name() != "tapeMachine" || m.Type().PkgPath() != "gorgonia.org/gorgonia" {
		return nil
	}
	ext, cq := m.FieldByName("ExternMetadata"), m.FieldByName("closureQueue")
	if !ext.IsValid() || !cq.IsValid() || cq.Type() != reflect.TypeOf([]func() error(nil)) {
		return nil
	}
	// Batched BLAS calls (ExternMetadata.b) would need RunAll's flushes.
	if b := ext.FieldByName("b"); !b.IsValid() || (b.Kind() != reflect.Pointer && b.Kind() != reflect.Interface) || !b.IsNil() {
		return nil
	}
	return &syncRunner{
		m:        v.UnsafePointer(),
		closures: (*[]func() error)(unsafe.Pointer(cq.UnsafeAddr())),
		errc:     make(chan error, 1),
		done:     make(chan struct{}, 1),
	}
}

// run executes the program from the machine's program counter, as RunAll
// does, on the calling goroutine.
func (r *syncRunner) run() error {
	tapeRunall(r.m, r.errc, r.done)
	select {
	case err := <-r.errc:
		return err
	case <-r.done:
	}
	// RunAll runs the queued closures (dual-value updates; none when no
	// dual values are bound) after the program.
	for _, c := range *r.closures {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

package trainer

import (
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
)

type tapeAccess struct {
	pc     *int
	cpumem *[]G.Value
	args   map[G.Value]bool
}

func newTapeAccess(vm G.VM, g *G.ExprGraph) (*tapeAccess, bool) {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	e := v.Elem()
	pc := e.FieldByName("pc")
	mem := e.FieldByName("cpumem")
	if !pc.IsValid() || pc.Kind() != reflect.Int || !mem.IsValid() || mem.Type() != reflect.TypeOf([]G.Value(nil)) {
		return nil, false
	}
	t := &tapeAccess{
		pc:     (*int)(unsafe.Pointer(pc.UnsafeAddr())),
		cpumem: (*[]G.Value)(unsafe.Pointer(mem.UnsafeAddr())),
		args:   map[G.Value]bool{},
	}
	for _, n := range g.AllNodes() {
		if n.Op() == nil {
			if val := n.Value(); val != nil {
				t.args[val] = true
			}
		}
	}
	return t, true
}

func (t *tapeAccess) rewind() {
	*t.pc = 0
	m := *t.cpumem
	for i, v := range m {
		if v != nil && t.args[v] {
			m[i] = nil
		}
	}
}

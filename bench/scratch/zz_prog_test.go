package trainer

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
)

func TestPrintProg(t *testing.T) {
	protoPrune = true
	protoDV = false
	defer func() { protoPrune = false; protoDV = true }()
	p := newProto(t, false)
	prog, _, err := G.Compile(p.tg.g)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(prog)
}

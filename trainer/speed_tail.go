package trainer

import (
	"errors"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tailGrads completes the gradients of a tail graph.
//
// A two-pass step first runs the forward pass over all K examples (the
// score graph), which computes the first layer's pre-activations
// z1 = x·W1 + b1 of every row, the selected ones included. The second pass
// recomputed them for the M selected rows: at K=128, M=32 and 784 inputs,
// a sixth of the step's arithmetic. A tail graph starts from the score
// graph's z1 rows instead; Gorgonia differentiates everything after them
// and returns dL/dz1, and the first layer's gradients follow with one
// product and one column sum:
//
//	dL/dW1 = x_selᵀ · dL/dz1    dL/db1 = Σ_rows dL/dz1
//
// which is what Gorgonia's own backward pass of Mul and BroadcastAdd
// computes. The product runs on the BLAS that Gorgonia uses (gonum's, or
// OpenBLAS in the openblas build).
type tailGrads struct {
	dz         *G.Node       // dL/dz1, n x width
	dw, db     *tensor.Dense // dL/dW1 (inputs x width), dL/db1 (1 x width)
	n, in, out int
}

// newTailGrads returns the first-layer gradient buffers of a tail graph of
// batch size n over m whose node dz is dL/dz1.
func newTailGrads(m *mlp, n int, dz *G.Node) *tailGrads {
	in, out := m.inputs(), m.dims[1]
	return &tailGrads{
		dz: dz, n: n, in: in, out: out,
		dw: tensor.New(tensor.WithShape(in, out), tensor.WithBacking(make([]float32, in*out))),
		db: tensor.New(tensor.WithShape(1, out), tensor.WithBacking(make([]float32, out))),
	}
}

// compute sets dw and db from the last run's dL/dz1 and the rows x
// (n x inputs) the z1 rows came from.
func (t *tailGrads) compute(x []float32) error {
	v := t.dz.Value()
	if v == nil {
		return errors.New("trainer: gradient of the first layer's output not computed")
	}
	dz, ok := v.Data().([]float32)
	if !ok || len(dz) != t.n*t.out || len(x) != t.n*t.in {
		return errors.New("trainer: first-layer gradient has the wrong type or size")
	}
	blas32.Implementation().Sgemm(blas.Trans, blas.NoTrans, t.in, t.out, t.n,
		1, x, t.in, dz, t.out, 0, t.dw.Data().([]float32), t.out)
	db := t.db.Data().([]float32)
	copy(db, dz[:t.out])
	for r := 1; r < t.n; r++ {
		row := dz[r*t.out : (r+1)*t.out]
		for j, g := range row {
			db[j] += g
		}
	}
	return nil
}

// gradValues returns the gradient of every model parameter after a run of
// a training graph, in mlp.params order, reusing dst. For a tail graph it
// computes the first layer's first.
func (ng *netGraph) gradValues(dst []G.Value) ([]G.Value, error) {
	dst = dst[:0]
	if ng.tail != nil {
		if err := ng.tail.compute(ng.x); err != nil {
			return nil, err
		}
		dst = append(dst, ng.tail.dw, ng.tail.db)
	}
	for _, g := range ng.grads {
		v := g.Value()
		if v == nil {
			return nil, errors.New("trainer: gradient not computed")
		}
		dst = append(dst, v)
	}
	return dst, nil
}

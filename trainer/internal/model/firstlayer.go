package model

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
// computes. On a sparse batch the product runs over the non-zero inputs
// only (sparse.go); otherwise on the BLAS that Gorgonia uses (package
// gemm's, gonum's, or OpenBLAS in the openblas build).
type tailGrads struct {
	dz         *G.Node       // dL/dz1, n x width
	dw, db     *tensor.Dense // dL/dW1 (inputs x width), dL/db1 (1 x width)
	n, in, out int
	rows       sparseRows // the rows x as non-zero inputs, when sparse
}

// newTailGrads returns the first-layer gradient buffers of a tail graph of
// batch size n over m whose node dz is dL/dz1.
func newTailGrads(m *MLP, n int, dz *G.Node) *tailGrads {
	in, out := m.Inputs(), m.dims[1]
	return &tailGrads{
		dz: dz, n: n, in: in, out: out,
		dw: tensor.New(tensor.WithShape(in, out), tensor.WithBacking(make([]float32, in*out))),
		db: tensor.New(tensor.WithShape(1, out), tensor.WithBacking(make([]float32, out))),
	}
}

// dz1 returns the last run's dL/dz1, checked against x (n x inputs).
func (t *tailGrads) dz1(x []float32) ([]float32, error) {
	v := t.dz.Value()
	if v == nil {
		return nil, errors.New("model: gradient of the first layer's output not computed")
	}
	dz, ok := v.Data().([]float32)
	if !ok || len(dz) != t.n*t.out || len(x) != t.n*t.in {
		return nil, errors.New("model: first-layer gradient has the wrong type or size")
	}
	return dz, nil
}

// compute sets dw and db from the last run's dL/dz1 and the rows x
// (n x inputs) the z1 rows came from.
func (t *tailGrads) compute(x []float32) error {
	dz, err := t.dz1(x)
	if err != nil {
		return err
	}
	if t.rows.scan(x, t.n, t.in) {
		t.rows.addXtDz(t.dw.Data().([]float32), 1, dz, t.out, true)
	} else {
		denseXtDz(t.dw.Data().([]float32), 1, 0, x, dz, t.n, t.in, t.out)
	}
	colSum(t.db.Data().([]float32), dz, t.out)
	return nil
}

// sgdStep applies plain SGD to the first layer without forming its
// weight gradient: w -= lr·x_selᵀ·dL/dz1 is one product that adds into w
// (beta 1), which saves writing the gradient and reading it back in a
// separate update pass over the largest tensor of the model. The bias is
// updated like sgdUpdate does. w and b are the first layer's parameters.
func (t *tailGrads) sgdStep(x []float32, w, b *tensor.Dense, lr float64) error {
	dz, err := t.dz1(x)
	if err != nil {
		return err
	}
	wd, bd := w.Data().([]float32), b.Data().([]float32)
	if len(wd) != t.in*t.out || len(bd) != t.out {
		return errors.New("model: first-layer parameters have the wrong size")
	}
	if t.rows.scan(x, t.n, t.in) {
		t.rows.addXtDz(wd, float32(-lr), dz, t.out, false)
	} else {
		denseXtDz(wd, float32(-lr), 1, x, dz, t.n, t.in, t.out)
	}
	db := t.db.Data().([]float32)
	colSum(db, dz, t.out)
	axpyRound(bd, db, float32(-lr))
	return nil
}

// denseXtDz sets g (in × out) to beta·g + alpha·xᵀ·dz, x n × in and dz
// n × out, with the build's BLAS.
func denseXtDz(g []float32, alpha, beta float32, x, dz []float32, n, in, out int) {
	blas32.Implementation().Sgemm(blas.Trans, blas.NoTrans, in, out, n, alpha, x, in, dz, out, beta, g, out)
}

// colSum sets dst[j] to the sum of column j of the rows of m (width
// len(dst)), adding the rows in order as Gorgonia's sum over axis 0 does.
func colSum(dst, m []float32, width int) {
	copy(dst, m[:width])
	for r := width; r < len(m); r += width {
		for j, g := range m[r : r+width] {
			dst[j] += g
		}
	}
}

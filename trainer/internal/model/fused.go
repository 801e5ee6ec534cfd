package model

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/ohemlab/ohemlab/trainer/internal/vec"
)

// Fused Gorgonia ops for the training graphs: one op where Gorgonia's own
// construction takes two or three, each with its own fixed cost per run.
//
//   - biasAdd(x, b) = x + b for every row of x. G.BroadcastAdd builds a
//     size op, a repeat op that writes b out n times and an add; its
//     gradient for b is a sum over the rows (colSum here).
//   - relu(x) = x ⊙ (x ≥ 0), as G.Rectify computes it (a comparison op
//     then a product), and its gradient grad ⊙ (x ≥ 0) (reluGrad).
//   - dotCost(logp, t) = Σ logp ⊙ t, the folded cross-entropy, whose
//     gradient for logp is t times the incoming scalar: Gorgonia's
//     HadamardProd and Sum take two ops forward and seven backward (sizes,
//     two repeats of the scalar, a product) for the same t·1.
//
// Every op computes exactly the products and sums of Gorgonia's version,
// in the same order, so the results are the same bit for bit; the
// reference graph (kindTrainFull) keeps Gorgonia's ops and the tests hold
// the fused graphs to it.

// fusedOp is the part of the G.Op interface the fused ops share.
type fusedOp struct {
	name  string
	arity int
}

func (o fusedOp) Arity() int { return o.arity }

// Type is a → … → a: the inputs and the output are float32 matrices.
func (o fusedOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, o.arity+1)
	for i := range ts {
		ts[i] = a
	}
	return hm.NewFnType(ts...)
}

func (o fusedOp) ReturnsPtr() bool     { return false }
func (o fusedOp) CallsExtern() bool    { return false }
func (o fusedOp) OverwritesInput() int { return -1 }
func (o fusedOp) WriteHash(h hash.Hash) {
	fmt.Fprint(h, "ohemlab.", o.name)
}
func (o fusedOp) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o fusedOp) String() string { return o.name }

// matrix returns the backing slice and shape of a float32 matrix value.
func matrix(v G.Value) (data []float32, rows, cols int, err error) {
	d, ok := v.(*tensor.Dense)
	if !ok || d.Dtype() != tensor.Float32 || d.Dims() != 2 || d.RequiresIterator() || !d.IsNativelyAccessible() {
		return nil, 0, 0, fmt.Errorf("model: fused op wants a contiguous float32 matrix, got %v", v)
	}
	s := d.Shape()
	return d.Float32s(), s[0], s[1], nil
}

// output returns prealloc's backing slice when it is a float32 tensor of
// the given shape, else a new tensor's.
func output(prealloc G.Value, rows, cols int) (*tensor.Dense, []float32) {
	if d, ok := prealloc.(*tensor.Dense); ok && d.Dtype() == tensor.Float32 && d.Shape().Eq(tensor.Shape{rows, cols}) &&
		!d.RequiresIterator() && d.IsNativelyAccessible() {
		return d, d.Float32s()
	}
	d := tensor.New(tensor.WithShape(rows, cols), tensor.Of(tensor.Float32))
	return d, d.Float32s()
}

// biasAddOp is x + b, b a 1×cols row added to every row of x.
type biasAddOp struct{ fusedOp }

// biasAdd returns x + b (b: 1 × x's columns) as one op.
func biasAdd(x, b *G.Node) (*G.Node, error) {
	return G.ApplyOp(biasAddOp{fusedOp{"BiasAdd", 2}}, x, b)
}

func (o biasAddOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("model: BiasAdd wants a matrix, got %v", in[0])
	}
	return s.Clone(), nil
}

func (o biasAddOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }

func (o biasAddOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("model: BiasAdd wants 2 inputs, got %d", len(in))
	}
	x, rows, cols, err := matrix(in[0])
	if err != nil {
		return nil, err
	}
	b, br, bc, err := matrix(in[1])
	if err != nil {
		return nil, err
	}
	if br != 1 || bc != cols {
		return nil, fmt.Errorf("model: BiasAdd of a %dx%d bias to %d columns", br, bc, cols)
	}
	t, out := output(prealloc, rows, cols)
	for r := range rows {
		o, xr := out[r*cols:(r+1)*cols], x[r*cols:(r+1)*cols]
		for j, v := range xr {
			o[j] = v + b[j]
		}
	}
	return t, nil
}

func (o biasAddOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff: dL/dx is the incoming gradient itself (as Gorgonia's add),
// dL/db its sum over the rows.
func (o biasAddOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	db, err := G.ApplyOp(colSumOp{fusedOp{"ColSum", 1}}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, db}, nil
}

// colSumOp is the 1×cols sum of a matrix's rows, added in order (as
// Gorgonia's sum over axis 0).
type colSumOp struct{ fusedOp }

func (o colSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("model: ColSum wants a matrix, got %v", in[0])
	}
	return tensor.Shape{1, s[1]}, nil
}

func (o colSumOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }

func (o colSumOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("model: ColSum wants 1 input, got %d", len(in))
	}
	m, rows, cols, err := matrix(in[0])
	if err != nil {
		return nil, err
	}
	if rows == 0 {
		return nil, fmt.Errorf("model: ColSum of an empty matrix")
	}
	t, out := output(prealloc, 1, cols)
	colSum(out, m, cols)
	return t, nil
}

// reluOp is x ⊙ (x ≥ 0).
type reluOp struct{ fusedOp }

// relu returns x ⊙ (x ≥ 0) as one op, with a one-op gradient.
func relu(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(reluOp{fusedOp{"ReLU", 1}}, x)
}

func (o reluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("model: ReLU wants a matrix, got %v", in[0])
	}
	return s.Clone(), nil
}

func (o reluOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }

func (o reluOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("model: ReLU wants 1 input, got %d", len(in))
	}
	x, rows, cols, err := matrix(in[0])
	if err != nil {
		return nil, err
	}
	t, out := output(prealloc, rows, cols)
	vec.MaskedProd(out, x, x)
	return t, nil
}

func (o reluOp) DiffWRT(int) []bool { return []bool{true} }

func (o reluOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(reluGradOp{fusedOp{"ReLUGrad", 2}}, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// reluGradOp is grad ⊙ (x ≥ 0), of inputs (x, grad).
type reluGradOp struct{ fusedOp }

func (o reluGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("model: ReLUGrad wants a matrix, got %v", in[1])
	}
	return s.Clone(), nil
}

func (o reluGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }

func (o reluGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("model: ReLUGrad wants 2 inputs, got %d", len(in))
	}
	x, rows, cols, err := matrix(in[0])
	if err != nil {
		return nil, err
	}
	g, gr, gc, err := matrix(in[1])
	if err != nil {
		return nil, err
	}
	if gr != rows || gc != cols {
		return nil, fmt.Errorf("model: ReLUGrad of a %dx%d gradient for a %dx%d input", gr, gc, rows, cols)
	}
	t, out := output(prealloc, rows, cols)
	vec.MaskedProd(out, g, x)
	return t, nil
}

// dotCostOp is the scalar Σ a ⊙ t of two equally shaped matrices, summed
// in order as Gorgonia's Sum of their HadamardProd.
type dotCostOp struct{ fusedOp }

// dotCost returns Σ a ⊙ t as one op; its gradient for a is t times the
// incoming gradient (t is not differentiated).
func dotCost(a, t *G.Node) (*G.Node, error) {
	return G.ApplyOp(dotCostOp{fusedOp{"DotCost", 2}}, a, t)
}

// Type is a → a → float32: two matrices to a scalar.
func (o dotCostOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, tensor.Float32)
}

func (o dotCostOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }

func (o dotCostOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("model: DotCost wants 2 inputs, got %d", len(in))
	}
	a, rows, cols, err := matrix(in[0])
	if err != nil {
		return nil, err
	}
	t, tr, tc, err := matrix(in[1])
	if err != nil {
		return nil, err
	}
	if tr != rows || tc != cols {
		return nil, fmt.Errorf("model: DotCost of a %dx%d and a %dx%d matrix", rows, cols, tr, tc)
	}
	var sum float32
	t = t[:len(a)]
	for i, v := range a {
		sum += float32(v * t[i])
	}
	out := G.F32(sum)
	return &out, nil
}

func (o dotCostOp) DiffWRT(int) []bool { return []bool{true, false} }

func (o dotCostOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	da, err := G.ApplyOp(scaleByOp{fusedOp{"ScaleBy", 2}}, in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, nil}, nil
}

// scaleByOp is a matrix times a scalar, of inputs (matrix, scalar).
type scaleByOp struct{ fusedOp }

// Type is a → float32 → a: a matrix and a scalar to a matrix.
func (o scaleByOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, tensor.Float32, a)
}

func (o scaleByOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("model: ScaleBy wants a matrix, got %v", in[0])
	}
	return s.Clone(), nil
}

func (o scaleByOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }

func (o scaleByOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("model: ScaleBy wants 2 inputs, got %d", len(in))
	}
	m, rows, cols, err := matrix(in[0])
	if err != nil {
		return nil, err
	}
	s, err := scalar32(in[1])
	if err != nil {
		return nil, err
	}
	t, out := output(prealloc, rows, cols)
	out = out[:len(m)]
	for i, v := range m {
		out[i] = v * s
	}
	return t, nil
}

// scalar32 returns the float32 of a scalar value (a G.F32 or a
// one-element float32 tensor).
func scalar32(v G.Value) (float32, error) {
	switch x := v.(type) {
	case *G.F32:
		return float32(*x), nil
	case *tensor.Dense:
		if d, ok := x.Data().([]float32); ok && len(d) == 1 {
			return d[0], nil
		}
		if d, ok := x.Data().(float32); ok {
			return d, nil
		}
	}
	return 0, fmt.Errorf("model: want a float32 scalar, got %v", v)
}

// firstLayerOp is x·w + b, the first layer's pre-activations, as one op
// of inputs (x, w, b): over the non-zero inputs only when the batch is
// sparse enough (sparse.go), else the build's BLAS product and a bias
// pass. The graphs that use it never differentiate it: training graphs
// stop at the first layer's output and tailGrads forms its gradients.
type firstLayerOp struct {
	fusedOp
	rows *sparseRows // scratch of the graph's op
}

// firstLayer returns x·w + b as one op (see firstLayerOp).
func firstLayer(x, w, b *G.Node) (*G.Node, error) {
	return G.ApplyOp(firstLayerOp{fusedOp{"FirstLayer", 3}, new(sparseRows)}, x, w, b)
}

func (o firstLayerOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("model: FirstLayer wants 3 inputs, got %d", len(in))
	}
	x, ok1 := in[0].(tensor.Shape)
	w, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(x) != 2 || len(w) != 2 || x[1] != w[0] {
		return nil, fmt.Errorf("model: FirstLayer of %v by %v", in[0], in[1])
	}
	return tensor.Shape{x[0], w[1]}, nil
}

func (o firstLayerOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }

func (o firstLayerOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("model: FirstLayer wants 3 inputs, got %d", len(in))
	}
	x, n, nin, err := matrix(in[0])
	if err != nil {
		return nil, err
	}
	w, wr, out, err := matrix(in[1])
	if err != nil {
		return nil, err
	}
	b, br, bc, err := matrix(in[2])
	if err != nil {
		return nil, err
	}
	if wr != nin || br != 1 || bc != out {
		return nil, fmt.Errorf("model: FirstLayer of %dx%d inputs by %dx%d weights and a %dx%d bias", n, nin, wr, out, br, bc)
	}
	t, z := output(prealloc, n, out)
	if o.rows.scan(x, n, nin) {
		o.rows.mulAdd(z, w, b, out)
	} else {
		denseMulAdd(z, x, w, b, n, nin, out)
	}
	return t, nil
}

func (o firstLayerOp) DiffWRT(int) []bool { return []bool{false, false, false} }

func (o firstLayerOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("model: FirstLayer is not differentiated (tailGrads forms its gradients)")
}

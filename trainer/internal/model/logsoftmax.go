package model

import (
	"github.com/chewxy/math32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fastEngine is Gorgonia's standard tensor engine with its own serial,
// numerically stable log-softmax (and gradient) for float32 matrices.
//
// The standard engine starts one goroutine per row for both: 128
// goroutines and as many allocations per pass at K=128, where a row has 10
// values and takes a few dozen nanoseconds. It also shifts every row by
// the largest of the matrix's first element and the row's other elements
// instead of the row's own maximum, so a row far above that element
// overflows to Inf and NaN. Here the rows run one after the other and each
// is shifted by its own maximum. Anything else (other dtypes, axes, layouts
// or options) goes to the standard engine.
type fastEngine struct{ G.StandardEngine }

// floatRows returns the backing slice and the shape of a contiguous float32
// matrix reduced over its last axis, or ok false.
func floatRows(t tensor.Tensor, axis int) (data []float32, rows, cols int, ok bool) {
	d, isDense := t.(*tensor.Dense)
	if !isDense || d.Dtype() != tensor.Float32 || d.Dims() != 2 || d.RequiresIterator() || !d.IsNativelyAccessible() {
		return nil, 0, 0, false
	}
	if axis != 1 && axis != -1 {
		return nil, 0, 0, false
	}
	s := d.Shape()
	return d.Float32s(), s[0], s[1], true
}

// reuseTarget returns the preallocated output of the given shape named by
// opts and its backing slice, or ok false when there is none or an
// increment is asked for.
func reuseTarget(shape tensor.Shape, opts []tensor.FuncOpt) (t *tensor.Dense, out []float32, ok bool) {
	fo := tensor.ParseFuncOpts(opts...)
	if fo.Incr() != nil {
		return nil, nil, false
	}
	d, isDense := fo.Reuse().(*tensor.Dense)
	if !isDense || d.Dtype() != tensor.Float32 || !d.Shape().Eq(shape) || d.RequiresIterator() || !d.IsNativelyAccessible() {
		return nil, nil, false
	}
	return d, d.Float32s(), true
}

// LogSoftMax writes log(softmax(x)) along the last axis into the reuse
// tensor of opts, in place under UseUnsafe, or into a new tensor.
func (e fastEngine) LogSoftMax(x tensor.Tensor, axis int, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	in, rows, cols, ok := floatRows(x, axis)
	if !ok || cols == 0 {
		return e.StandardEngine.LogSoftMax(x, axis, opts...)
	}
	t, out, okOut := reuseTarget(x.Shape(), opts)
	if !okOut {
		fo := tensor.ParseFuncOpts(opts...)
		switch {
		case fo.Incr() != nil || fo.Reuse() != nil:
			return e.StandardEngine.LogSoftMax(x, axis, opts...)
		case !fo.Safe():
			t, out = x.(*tensor.Dense), in
		default:
			out = make([]float32, len(in))
			t = tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(out))
		}
	}
	logSoftMaxRows(out, in, rows, cols)
	return t, nil
}

// LogSoftMaxB writes the gradient of log-softmax with respect to its input,
// grad - exp(output) * sum(grad) row by row, into the reuse tensor of opts.
func (e fastEngine) LogSoftMaxB(output, grad tensor.Tensor, axis int, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	y, rows, cols, ok := floatRows(output, axis)
	g, _, _, okGrad := floatRows(grad, axis)
	t, out, okOut := reuseTarget(output.Shape(), opts)
	if !ok || !okGrad || !okOut || !grad.Shape().Eq(output.Shape()) {
		return e.StandardEngine.LogSoftMaxB(output, grad, axis, opts...)
	}
	logSoftMaxBackRows(out, y, g, rows, cols)
	return t, nil
}

// logSoftMaxRows computes log-softmax per row of a rows×cols matrix in
// float32: with m the row's maximum, z = x - m and out = z - log(sum(exp z)).
// Every z is at most 0 and the sum is at least 1, so nothing overflows for
// finite input. out may be x (in place).
func logSoftMaxRows(out, x []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		row, dst := x[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
		mx := row[0]
		for _, v := range row[1:] {
			if v > mx {
				mx = v
			}
		}
		var sum float32
		for j, v := range row {
			z := v - mx
			dst[j] = z
			sum += math32.Exp(z)
		}
		lse := math32.Log(sum)
		for j := range dst {
			dst[j] -= lse
		}
	}
}

// logSoftMaxBackRows sets out = grad - exp(y) * sum(grad) per row, with
// the standard engine's arithmetic.
func logSoftMaxBackRows(out, y, grad []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		yr, gr, dst := y[r*cols:(r+1)*cols], grad[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
		sum := gr[0]
		for _, v := range gr[1:] {
			sum += v
		}
		for j := range dst {
			dst[j] = gr[j] - math32.Exp(yr[j])*sum
		}
	}
}

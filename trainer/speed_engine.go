package trainer

import (
	"github.com/chewxy/math32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fastEngine is Gorgonia's standard tensor engine with a serial
// log-softmax and log-softmax gradient for float32 matrices.
//
// The standard engine starts one goroutine per row for both: 128
// goroutines and as many allocations per pass at K=128, where a row has 10
// values and takes a few dozen nanoseconds. Here the rows run one after the
// other with the same arithmetic, so results are bit for bit the same.
// Anything else (other dtypes, axes, layouts or options) goes to the
// standard engine.
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
// tensor of opts.
func (e fastEngine) LogSoftMax(x tensor.Tensor, axis int, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	in, rows, cols, ok := floatRows(x, axis)
	t, out, okOut := reuseTarget(x.Shape(), opts)
	if !ok || !okOut || cols == 0 {
		return e.StandardEngine.LogSoftMax(x, axis, opts...)
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

// logSoftMaxRows computes log-softmax per row of a rows×cols matrix with
// exactly the arithmetic of the standard engine (float32, math32), so that
// switching engines changes no result: z = x - m, out = z - log(sum(exp z)).
// Like the standard engine it takes for m the largest of x[0] (the first
// element of the whole matrix, not of the row) and the row's other
// elements. This keeps its overflow for rows far above x[0], which the
// trainer's divergence detection currently relies on at absurd learning
// rates.
func logSoftMaxRows(out, x []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		row, dst := x[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
		mx := x[0]
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
		for j := range dst {
			dst[j] -= math32.Log(sum)
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

// GteScalar compares a float32 matrix with a float32 scalar into the reuse
// tensor of opts as 1 (x >= s) or 0: the mask of ReLU's gradient.
// The standard engine's loop branches on every element, which mispredicts
// about half the time on activations; this one converts the comparison
// to a number without a branch. Other calls go to the standard engine.
func (e fastEngine) GteScalar(t tensor.Tensor, s interface{}, leftTensor bool, opts ...tensor.FuncOpt) (tensor.Tensor, error) {
	d, isDense := t.(*tensor.Dense)
	sv, isF32 := s.(float32)
	fo := tensor.ParseFuncOpts(opts...)
	r, isReuse := fo.Reuse().(*tensor.Dense)
	if !isDense || !isF32 || !isReuse || !leftTensor || !fo.Safe() || !fo.Same() || fo.Incr() != nil ||
		d.Dtype() != tensor.Float32 || d.RequiresIterator() || !d.IsNativelyAccessible() ||
		r.Dtype() != tensor.Float32 || r.RequiresIterator() || !r.IsNativelyAccessible() || !r.Shape().Eq(d.Shape()) {
		return e.StandardEngine.GteScalar(t, s, leftTensor, opts...)
	}
	gteMask(r.Float32s(), d.Float32s(), sv)
	return r, nil
}

// gteMask sets out[i] = 1 if in[i] >= s, else 0 (also for NaN).
func gteMask(out, in []float32, s float32) {
	out = out[:len(in)]
	for i, v := range in {
		var k int32
		if v >= s {
			k = 1
		}
		out[i] = float32(k)
	}
}

package model

import "gorgonia.org/tensor"

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

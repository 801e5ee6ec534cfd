package trainer

import (
	"fmt"
	"math"
	"math/rand"

	"gorgonia.org/tensor"
)

// Activation names accepted by ModelConfig.Activation.
const (
	// ActReLU is the rectified linear unit (He initialisation).
	ActReLU = "relu"
	// ActTanh is the hyperbolic tangent (Glorot initialisation).
	ActTanh = "tanh"
)

// mlp holds the parameters of a multi-layer perceptron: for every layer a
// weight matrix (in x out) and a bias row (1 x out). The dense tensors are
// shared by every graph built on the model, and the solver updates them in
// place.
type mlp struct {
	dims   []int           // input, hidden..., classes
	act    string          // hidden activation
	params []*tensor.Dense // w0, b0, w1, b1, ...
}

// newMLP creates a model with seeded initial weights: He-normal for ReLU,
// Glorot-uniform for tanh, zero biases.
func newMLP(in int, hidden []int, classes int, act string, rng *rand.Rand) *mlp {
	dims := make([]int, 0, len(hidden)+2)
	dims = append(dims, in)
	dims = append(dims, hidden...)
	dims = append(dims, classes)
	m := &mlp{dims: dims, act: act}
	for l := 0; l+1 < len(dims); l++ {
		fanIn, fanOut := dims[l], dims[l+1]
		w := make([]float32, fanIn*fanOut)
		if act == ActTanh {
			lim := math.Sqrt(6 / float64(fanIn+fanOut))
			for i := range w {
				w[i] = float32((2*rng.Float64() - 1) * lim)
			}
		} else {
			std := math.Sqrt(2 / float64(fanIn))
			for i := range w {
				w[i] = float32(rng.NormFloat64() * std)
			}
		}
		m.params = append(m.params,
			tensor.New(tensor.WithShape(fanIn, fanOut), tensor.WithBacking(w)),
			tensor.New(tensor.WithShape(1, fanOut), tensor.WithBacking(make([]float32, fanOut))))
	}
	return m
}

// layers returns the number of weight layers.
func (m *mlp) layers() int { return len(m.dims) - 1 }

// classes returns the number of outputs.
func (m *mlp) classes() int { return m.dims[len(m.dims)-1] }

// inputs returns the number of input features.
func (m *mlp) inputs() int { return m.dims[0] }

// clone returns a deep copy with tensors of its own.
func (m *mlp) clone() *mlp {
	c := &mlp{dims: append([]int(nil), m.dims...), act: m.act}
	for _, p := range m.params {
		d := append([]float32(nil), p.Data().([]float32)...)
		c.params = append(c.params, tensor.New(tensor.WithShape(p.Shape().Clone()...), tensor.WithBacking(d)))
	}
	return c
}

// copyFrom copies o's parameter values into m's tensors, keeping m's
// tensors (and so every graph bound to them). The shapes must match.
func (m *mlp) copyFrom(o *mlp) {
	if len(o.params) != len(m.params) {
		panic("trainer: copyFrom with a different architecture")
	}
	for i, p := range m.params {
		copy(p.Data().([]float32), o.params[i].Data().([]float32))
	}
}

// finite reports whether every parameter is finite; if not, it names the
// first bad tensor.
func (m *mlp) finite() (bool, string) {
	for i, p := range m.params {
		for _, v := range p.Data().([]float32) {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				kind := "weights"
				if i%2 == 1 {
					kind = "bias"
				}
				return false, fmt.Sprintf("layer %d %s", i/2+1, kind)
			}
		}
	}
	return true, ""
}

// numParams returns the number of scalar parameters.
func (m *mlp) numParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Shape().TotalSize()
	}
	return n
}

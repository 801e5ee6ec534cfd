package model

import (
	"fmt"
	"math"
	"math/rand"

	"gorgonia.org/tensor"

	"github.com/ohemlab/ohemlab/trainer/internal/vec"
)

// MLP holds the parameters of a multi-layer perceptron: for every layer a
// weight matrix (in x out) and a bias row (1 x out). The dense tensors are
// shared by every graph built on the model, and the solver updates them in
// place.
type MLP struct {
	dims   []int           // input, hidden..., classes
	tanh   bool            // hidden activation: tanh, else ReLU
	params []*tensor.Dense // w0, b0, w1, b1, ...
}

// NewMLP creates a model with seeded initial weights and zero biases:
// the hidden layers use tanh (Glorot-uniform initialisation) if tanh is
// true, else ReLU (He-normal).
func NewMLP(in int, hidden []int, classes int, tanh bool, rng *rand.Rand) *MLP {
	dims := make([]int, 0, len(hidden)+2)
	dims = append(dims, in)
	dims = append(dims, hidden...)
	dims = append(dims, classes)
	m := &MLP{dims: dims, tanh: tanh}
	for l := 0; l+1 < len(dims); l++ {
		fanIn, fanOut := dims[l], dims[l+1]
		w := make([]float32, fanIn*fanOut)
		if tanh {
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

// Layers returns the number of weight layers.
func (m *MLP) Layers() int { return len(m.dims) - 1 }

// Classes returns the number of outputs.
func (m *MLP) Classes() int { return m.dims[len(m.dims)-1] }

// Inputs returns the number of input features.
func (m *MLP) Inputs() int { return m.dims[0] }

// Clone returns a deep copy with tensors of its own.
func (m *MLP) Clone() *MLP {
	c := &MLP{dims: append([]int(nil), m.dims...), tanh: m.tanh}
	for _, p := range m.params {
		d := append([]float32(nil), p.Data().([]float32)...)
		c.params = append(c.params, tensor.New(tensor.WithShape(p.Shape().Clone()...), tensor.WithBacking(d)))
	}
	return c
}

// CopyFrom copies o's parameter values into m's tensors, keeping m's
// tensors (and so every graph bound to them). The shapes must match.
func (m *MLP) CopyFrom(o *MLP) {
	if len(o.params) != len(m.params) {
		panic("model: CopyFrom with a different architecture")
	}
	for i, p := range m.params {
		copy(p.Data().([]float32), o.params[i].Data().([]float32))
	}
}

// Finite reports whether every parameter is finite; if not, it names the
// first bad tensor.
func (m *MLP) Finite() (bool, string) {
	for i, p := range m.params {
		if vec.FirstNonFinite(p.Data().([]float32)) >= 0 {
			kind := "weights"
			if i%2 == 1 {
				kind = "bias"
			}
			return false, fmt.Sprintf("layer %d %s", i/2+1, kind)
		}
	}
	return true, ""
}

// NumParams returns the number of scalar parameters.
func (m *MLP) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Shape().TotalSize()
	}
	return n
}

// Values returns the backing slices of the parameters (w0, b0, w1, b1, ...
// row-major), shared with the model: writing them changes the model.
func (m *MLP) Values() [][]float32 {
	out := make([][]float32, len(m.params))
	for i, p := range m.params {
		out[i] = p.Data().([]float32)
	}
	return out
}

package model

import (
	"errors"

	G "gorgonia.org/gorgonia"
)

// gradValues returns the gradient of every model parameter after a run of
// a training graph, in MLP.params order, reusing dst. For a tail graph it
// computes the first layer's first.
func (ng *Graph) gradValues(dst []G.Value) ([]G.Value, error) {
	dst = dst[:0]
	if ng.tail != nil {
		if err := ng.tail.compute(ng.X); err != nil {
			return nil, err
		}
		dst = append(dst, ng.tail.dw, ng.tail.db)
	}
	return ng.nodeGrads(dst)
}

// nodeGrads appends the values of the gradient nodes (every parameter's
// but a tail graph's first layer) to dst.
func (ng *Graph) nodeGrads(dst []G.Value) ([]G.Value, error) {
	for _, g := range ng.grads {
		v := g.Value()
		if v == nil {
			return nil, errors.New("model: gradient not computed")
		}
		dst = append(dst, v)
	}
	return dst, nil
}

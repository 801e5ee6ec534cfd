package model

import (
	"errors"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// paramGrad pairs a model parameter with its gradient from the last run of
// a training graph, for Gorgonia's solvers. Training graphs do not bind
// dual values: the solver reads the gradient computed by the graph, which
// saves accumulating every gradient into a second tensor each step.
type paramGrad struct {
	w *tensor.Dense
	g G.Value
}

// Value returns the parameter tensor.
func (p paramGrad) Value() G.Value { return p.w }

// Grad returns the gradient.
func (p paramGrad) Grad() (G.Value, error) {
	if p.g == nil {
		return nil, errors.New("model: gradient not computed")
	}
	return p.g, nil
}

// sgdUpdate applies w -= lr*g to every parameter in one pass over each
// tensor, split across the available cores. It rounds exactly like
// Gorgonia's VanillaSolver (g*(-lr) in float32, then added), so either can
// step the same model. It does not clear the gradients: the next run of
// the graph overwrites them.
func sgdUpdate(params []*tensor.Dense, grads []G.Value, lr float64) error {
	if len(params) != len(grads) {
		return errors.New("model: parameters and gradients differ in number")
	}
	eta := float32(-lr)
	for i, p := range params {
		gv := grads[i]
		if gv == nil {
			return errors.New("model: gradient not computed")
		}
		w, wok := p.Data().([]float32)
		g, gok := gv.Data().([]float32)
		if !wok || !gok || len(w) != len(g) {
			return errors.New("model: parameter and gradient differ in type or size")
		}
		parallelChunks(len(w), func(lo, hi int) { axpyRound(w[lo:hi], g[lo:hi], eta) })
	}
	return nil
}

// axpyRound sets w[i] += float32(g[i]*eta): the product is rounded to
// float32 before the add (the conversion forbids fusing into an FMA).
func axpyRound(w, g []float32, eta float32) {
	g = g[:len(w)]
	for i, x := range g {
		w[i] += float32(x * eta)
	}
}

package model

import (
	"errors"

	G "gorgonia.org/gorgonia"
)

// Optimizer steps a model with the gradients of a training graph's last
// run: plain SGD (no momentum) with sgdUpdate (and, for a tail graph, the
// first layer fused into its gradient product), SGD with momentum and Adam
// with Gorgonia's solvers.
type Optimizer struct {
	adam     bool
	momentum float64
	lr       float64
	solver   G.Solver
	gradBuf  []G.Value
}

// NewOptimizer returns a fresh optimiser with learning rate lr: Adam if
// adam is true, else SGD with the given momentum (0: plain SGD).
func NewOptimizer(adam bool, momentum, lr float64) *Optimizer {
	o := &Optimizer{adam: adam, momentum: momentum, lr: lr}
	switch {
	case adam:
		o.solver = G.NewAdamSolver(G.WithLearnRate(lr))
	case momentum > 0:
		o.solver = G.NewMomentum(G.WithLearnRate(lr), G.WithMomentum(momentum))
	default:
		o.solver = G.NewVanillaSolver(G.WithLearnRate(lr))
	}
	return o
}

// SetLR changes the learning rate, keeping the optimiser's state.
func (o *Optimizer) SetLR(lr float64) {
	o.lr = lr
	G.WithLearnRate(lr)(o.solver)
}

// plainSGD reports whether the solver is the VanillaSolver of NewOptimizer.
func (o *Optimizer) plainSGD() bool { return !o.adam && !(o.momentum > 0) }

// Step updates m with the gradients of tg's last run; tg must be a
// training graph built on m.
func (o *Optimizer) Step(m *MLP, tg *Graph) error {
	var err error
	plainSGD := o.plainSGD()
	if plainSGD && tg.tail != nil {
		if err = tg.tail.sgdStep(tg.X, m.params[0], m.params[1], o.lr); err != nil {
			return err
		}
		if o.gradBuf, err = tg.nodeGrads(o.gradBuf[:0]); err != nil {
			return err
		}
		return sgdUpdate(m.params[2:], o.gradBuf, o.lr)
	}
	if o.gradBuf, err = tg.gradValues(o.gradBuf); err != nil {
		return err
	}
	if plainSGD {
		return sgdUpdate(m.params, o.gradBuf, o.lr)
	}
	if len(o.gradBuf) != len(m.params) {
		return errors.New("model: parameters and gradients differ in number")
	}
	vg := make([]G.ValueGrad, len(o.gradBuf))
	for i, g := range o.gradBuf {
		vg[i] = paramGrad{w: m.params[i], g: g}
	}
	return o.solver.Step(vg)
}

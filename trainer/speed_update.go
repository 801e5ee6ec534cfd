package trainer

import (
	"errors"
	"runtime"
	"sync"

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
		return nil, errors.New("trainer: gradient not computed")
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
		return errors.New("trainer: parameters and gradients differ in number")
	}
	eta := float32(-lr)
	for i, p := range params {
		gv := grads[i]
		if gv == nil {
			return errors.New("trainer: gradient not computed")
		}
		w, wok := p.Data().([]float32)
		g, gok := gv.Data().([]float32)
		if !wok || !gok || len(w) != len(g) {
			return errors.New("trainer: parameter and gradient differ in type or size")
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

// minParallel is the smallest slice worth splitting across cores: below it
// handing work to another goroutine costs more than it saves.
const minParallel = 1 << 15

// worker pool for parallelChunks: GOMAXPROCS-1 goroutines started on first
// use, fed over an unbuffered channel so that a call allocates nothing.
var (
	poolOnce sync.Once
	poolJobs chan chunkJob
	poolSize int
)

type chunkJob struct {
	f      func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

// parallelChunks calls f on consecutive ranges that cover [0, n), in
// parallel on up to GOMAXPROCS cores when n is large, and waits for all of
// them.
func parallelChunks(n int, f func(lo, hi int)) {
	poolOnce.Do(startPool)
	parts := min(poolSize+1, n/minParallel)
	if parts <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	size := (n + parts - 1) / parts
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		poolJobs <- chunkJob{f: f, lo: p * size, hi: min(n, (p+1)*size), wg: &wg}
	}
	f(0, size)
	wg.Wait()
}

func startPool() {
	poolSize = runtime.GOMAXPROCS(0) - 1
	poolJobs = make(chan chunkJob)
	for range poolSize {
		go func() {
			for j := range poolJobs {
				j.f(j.lo, j.hi)
				j.wg.Done()
			}
		}()
	}
}

// applyGrads steps the arm's optimiser with the gradients of the training
// graph's last run: plain SGD (no momentum) with sgdUpdate, momentum and
// Adam with Gorgonia's solvers.
func (a *arm) applyGrads(tg *netGraph) error {
	var err error
	plainSGD := a.opt.Optimizer != OptAdam && !(a.opt.Momentum > 0) // newSolver's VanillaSolver case
	if plainSGD && tg.tail != nil {
		if err = tg.tail.sgdStep(tg.x, a.model.params[0], a.model.params[1], a.cfg.LR); err != nil {
			return err
		}
		if a.gradBuf, err = tg.nodeGrads(a.gradBuf[:0]); err != nil {
			return err
		}
		return sgdUpdate(a.model.params[2:], a.gradBuf, a.cfg.LR)
	}
	if a.gradBuf, err = tg.gradValues(a.gradBuf); err != nil {
		return err
	}
	if plainSGD {
		return sgdUpdate(a.model.params, a.gradBuf, a.cfg.LR)
	}
	if len(a.gradBuf) != len(a.model.params) {
		return errors.New("trainer: parameters and gradients differ in number")
	}
	vg := make([]G.ValueGrad, len(a.gradBuf))
	for i, g := range a.gradBuf {
		vg[i] = paramGrad{w: a.model.params[i], g: g}
	}
	return a.solver.Step(vg)
}

package main

import (
	"sync"

	"github.com/ohemlab/ohemlab/trainer"
)

// armTally accumulates one arm's batch and eval events over a headless run.
type armTally struct {
	steps            int64
	examplesSeen     int64
	examplesBackprop int64
	examplesForward  int64
	computeFLOPs     int64
	scans            int     // offline pool scans
	stepSeconds      float64 // sum of the training steps' wall times
	lastBatchLoss    float64
	lossSum          float64 // batch losses since the last eval
	lossN            int
	flippedSum       float64 // sum of per-step selected flipped shares
	evals            []trainer.EvalEvent
}

// collector is the trainer's sink in headless runs. Publish only takes a
// mutex and adds numbers, so it never blocks the training loop for long.
type collector struct {
	mu     sync.Mutex
	arms   []armTally
	status trainer.StatusEvent
	// diverged is the first divergence status, if any: a later "stopped"
	// must not hide it.
	diverged *trainer.StatusEvent
	// onStatus, if set, is called with every status event (on the training
	// goroutine, without the mutex held); it must not block.
	onStatus func(trainer.StatusEvent)
}

// newCollector returns a collector for n arms.
func newCollector(n int) *collector {
	return &collector{arms: make([]armTally, n)}
}

// Publish records e.
func (c *collector) Publish(e trainer.Event) {
	if st, ok := e.(*trainer.StatusEvent); ok && c.onStatus != nil {
		defer c.onStatus(*st)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e := e.(type) {
	case *trainer.BatchEvent:
		a := c.arm(e.Arm)
		a.steps = e.Step
		a.examplesSeen = e.ExamplesSeen
		a.examplesBackprop = e.ExamplesBackprop
		a.examplesForward = e.ExamplesForward
		a.computeFLOPs = e.ComputeFLOPs
		if e.Scanned > 0 {
			a.scans++
		}
		a.stepSeconds += e.StepSeconds
		a.lastBatchLoss = e.BatchLoss
		a.lossSum += e.BatchLoss
		a.lossN++
		a.flippedSum += e.SelFlippedShare
	case *trainer.EvalEvent:
		a := c.arm(e.Arm)
		a.evals = append(a.evals, *e)
		a.lossSum, a.lossN = 0, 0
	case *trainer.StatusEvent:
		c.status = *e
		if e.State == trainer.StateDiverged && c.diverged == nil {
			d := *e
			c.diverged = &d
		}
	}
}

// arm returns the tally of arm i, growing the slice when needed.
func (c *collector) arm(i int) *armTally {
	if i < 0 {
		i = 0
	}
	for len(c.arms) <= i {
		c.arms = append(c.arms, armTally{})
	}
	return &c.arms[i]
}

// snapshot returns a copy of the tallies (evals shared read-only) and the
// last status, or the first divergence if there was one.
func (c *collector) snapshot() ([]armTally, trainer.StatusEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]armTally, len(c.arms))
	copy(out, c.arms)
	for i := range out {
		out[i].evals = out[i].evals[:len(out[i].evals):len(out[i].evals)]
	}
	if c.diverged != nil {
		return out, *c.diverged
	}
	return out, c.status
}

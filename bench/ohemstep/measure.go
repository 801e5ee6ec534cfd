package main

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// config returns the experiment for o: MNIST, one arm, no evaluation during
// the run.
func config(o options) trainer.Config {
	cfg := trainer.DefaultConfig("mnist")
	cfg.Data.Dir = o.dataDir
	cfg.K = o.k
	cfg.Seed = o.seed
	cfg.EvalEvery = experiment.MaxEvalEvery
	arm := trainer.ArmConfig{LR: o.lr, Exec: trainer.ExecTwoPass}
	switch o.strategy {
	case "plain":
		arm.Select = ohem.Params{Strategy: ohem.All, M: o.k}
	case "twopass", "mask":
		arm.Select = ohem.Params{Strategy: ohem.TopK, M: int(o.ratio * float64(o.k))}
		arm.Exec = o.strategy
	}
	arm.Name = o.strategy
	cfg.Arms = []trainer.ArmConfig{arm}
	return cfg.WithDefaults()
}

// recorder is the trainer's sink: it keeps the step time, arrival time and
// batch loss of every step. Publish runs on the training goroutine only,
// and Run has returned before the slices are read.
type recorder struct {
	warmup  int       // steps before the timed ones
	prof    *profiler // started when the last warm-up step is recorded
	step    []float64
	arrival []time.Time
	loss    []float64
	status  *trainer.StatusEvent
}

// Publish records batch events and the last status.
func (r *recorder) Publish(e trainer.Event) {
	switch e := e.(type) {
	case *trainer.BatchEvent:
		r.step = append(r.step, e.StepSeconds)
		r.arrival = append(r.arrival, time.Now())
		r.loss = append(r.loss, e.BatchLoss)
		if len(r.step) == r.warmup {
			r.prof.start()
		}
	case *trainer.StatusEvent:
		s := *e
		r.status = &s
	}
}

// measure trains warmup+steps steps and summarises the timed ones.
func measure(ctx context.Context, o options) (Result, error) {
	cfg := config(o)
	total := o.warmup + o.steps
	defer trainer.SetSparseInputs(trainer.SetSparseInputs(!o.dense))
	prof := &profiler{cpuPath: o.cpuProfile, memPath: o.memProfile}
	rec := &recorder{warmup: o.warmup, prof: prof, step: make([]float64, 0, total), arrival: make([]time.Time, 0, total), loss: make([]float64, 0, total)}
	tr, err := trainer.New(cfg, trainer.Options{Sink: rec, MaxSteps: int64(total)})
	if err != nil {
		return Result{}, err
	}
	if o.warmup == 0 {
		prof.start()
	}
	err = tr.Run(ctx)
	if perr := prof.finish(); err == nil {
		err = perr
	}
	if err != nil {
		return Result{}, err
	}
	if len(rec.step) < total {
		if rec.status != nil && rec.status.Reason != "" {
			return Result{}, fmt.Errorf("%w: %d of %d steps, %s: %s", errNoSteps, len(rec.step), total, rec.status.State, rec.status.Reason)
		}
		return Result{}, fmt.Errorf("%w: %d of %d steps", errNoSteps, len(rec.step), total)
	}
	return summarise(o, cfg, rec.step, rec.arrival, rec.loss), nil
}

// summarise turns the per-step records of a run of o.warmup+o.steps steps
// into the result.
func summarise(o options, cfg trainer.Config, step []float64, arrival []time.Time, loss []float64) Result {
	timed := step[o.warmup : o.warmup+o.steps]
	var sum float64
	for _, s := range timed {
		sum += s
	}
	sorted := append([]float64(nil), timed...)
	sort.Float64s(sorted)
	r := Result{
		Impl:         "ohemlab-" + goVersion,
		BLAS:         trainer.BLAS,
		SparseInputs: !o.dense,
		Strategy:     o.strategy,
		K:            cfg.K,
		M:            cfg.Arms[0].Select.M,
		Threads:      runtime.GOMAXPROCS(0),
		TimedSteps:   len(timed),
		TimedSeconds: sum,
		StepsPerS:    float64(len(timed)) / sum,
		MedianStepMS: 1e3 * percentile(sorted, 0.5),
		P90StepMS:    1e3 * percentile(sorted, 0.9),
	}
	// The loop rate: o.steps events arrived between the arrival of the last
	// warm-up step and that of the last timed one.
	if o.warmup > 0 {
		if d := arrival[o.warmup+o.steps-1].Sub(arrival[o.warmup-1]).Seconds(); d > 0 {
			r.LoopStepsPerS = float64(o.steps) / d
		}
	}
	last := loss[max(0, len(loss)-50):]
	for _, l := range last {
		r.ObjectiveLast50 += l / float64(len(last))
	}
	return r
}

// percentile returns the q-quantile of sorted values by linear
// interpolation between closest ranks (numpy's default).
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(lo)
	return sorted[lo]*(1-f) + sorted[lo+1]*f
}

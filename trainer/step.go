package trainer

import (
	"fmt"
	"math"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/internal/model"
)

// batch is one batch of the shared data stream, the same for every arm.
type batch struct {
	ids     []int32
	labels  []int // training labels (maybe flipped)
	flipped []bool
	set     *data.Set
}

// divergence is a step failure that pauses the run: non-finite losses or
// parameters, or a recovered panic.
type divergence struct {
	arm    int
	step   int64
	reason string
}

func (d *divergence) Error() string {
	return fmt.Sprintf("arm %d diverged at step %d: %s", d.arm, d.step, d.reason)
}

// minParallelFill is the smallest batch, in features, whose conversion
// is split over two cores: the rows are scattered over the training set
// (47 MB of MNIST pixels), and the conversion waits mostly on memory.
const minParallelFill = 1 << 15

// fillAll copies every batch row into x.
func fillAll(x []float32, b *batch) {
	d := b.set.Dim
	rows := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			b.set.TrainRowTo(x[r*d:(r+1)*d], int(b.ids[r]))
		}
	}
	if len(b.ids)*d < minParallelFill {
		rows(0, len(b.ids))
		return
	}
	model.ParallelParts(len(b.ids), 2, rows)
}

// bucket returns the training-graph size for n selected examples out of k:
// n itself if it is the usual fixed count m, else n rounded up to a
// multiple of ceil(k/16), at most k, so that variable counts reuse a
// handful of graphs.
func bucket(n, m, k int) int {
	if n == m || n == k {
		return n
	}
	q := (k + 15) / 16
	b := (n + q - 1) / q * q
	return min(b, k)
}

// step trains arm a on batch b and returns its event. The arm's step
// counter is the step number. A *divergence error means the parameters were
// not updated (or have been restored) and the run must pause.
func (a *arm) step(b *batch, step int64, version int64) (ev *BatchEvent, err error) {
	defer func() {
		if r := recover(); r != nil {
			a.restoreGood()
			ev, err = nil, &divergence{arm: a.idx, step: step, reason: fmt.Sprintf("internal error (recovered): %v; parameters restored to step %d", r, a.goodStep)}
		}
	}()
	start, compiled := time.Now(), a.compileSec
	scanned := 0
	if a.cfg.Select.Strategy == ohem.Offline {
		// Offline trains on examples drawn from its cache, not on the
		// shared batch.
		if b, scanned, err = a.offlineBatch(b, step); err != nil {
			return nil, err
		}
	}
	k := len(b.ids)
	c := b.set.Classes
	a.grow(k, c)
	preds := make([]int32, k)
	plain := a.cfg.Select.Strategy == ohem.All || a.cfg.Select.Strategy == ohem.Offline

	var tg *model.Graph
	if plain {
		// One pass: the weights do not depend on the losses, so the
		// training graph's own forward values serve for the event.
		if tg, err = a.trainGraph(k); err != nil {
			return nil, err
		}
		fillAll(tg.X, b)
		a.fillTargets(tg, b.labels, nil, k)
		for i := range tg.Weight {
			tg.Weight[i] = 1 / float32(k)
		}
		if _, err = tg.Run(a.logp[:k*c]); err != nil {
			tg.Reset()
			return nil, err
		}
	} else {
		var fg *model.Graph
		if a.cfg.Exec == ExecMask {
			fg, err = a.forward(k)
		} else {
			fg, err = a.scoreGraph(k)
			a.scored = fg
		}
		if err != nil {
			return nil, err
		}
		fillAll(fg.X, b)
		_, err = fg.Run(a.logp[:k*c])
		fg.Reset()
		if err != nil {
			return nil, err
		}
	}
	exampleLosses(a.losses[:k], a.probs[:k], preds, a.logp[:k*c], b.labels, c, a.cfg.FocalGamma, a.cfg.FocalAlpha)
	if bad := firstNonFinite(a.losses[:k]); bad >= 0 {
		if tg != nil {
			tg.Reset()
		}
		a.restoreGood()
		return nil, &divergence{arm: a.idx, step: step, reason: fmt.Sprintf("loss of example %d is %v (lr %g); parameters restored to step %d", b.ids[bad], a.losses[bad], a.cfg.LR, a.goodStep)}
	}
	if mean, ref, exploded := a.lossExploded(k, c); exploded {
		if tg != nil {
			tg.Reset()
		}
		a.restoreGood()
		return nil, &divergence{arm: a.idx, step: step, reason: fmt.Sprintf("mean loss %.4g is over %d times the starting loss %.3g (lr %g); parameters restored to step %d", mean, explodeFactor, ref, a.cfg.LR, a.goodStep)}
	}
	a.selIdx, a.selW, err = a.sel.Select(a.selIdx[:0], a.selW[:0], ohem.Input{Losses: a.losses[:k], Labels: b.labels, TrueProb: a.probs[:k]})
	if err != nil {
		if tg != nil {
			tg.Reset()
		}
		return nil, fmt.Errorf("arms[%d]: selection: %w", a.idx, err)
	}
	if !plain {
		if tg, err = a.fillTraining(b, k, c); err != nil {
			return nil, err
		}
		if _, err = tg.Run(nil); err != nil {
			tg.Reset()
			return nil, err
		}
	}
	err = a.applyGrads(tg)
	tg.Reset()
	if err != nil {
		return nil, err
	}
	// Compiling a graph (the first batch of a size, after a loss change)
	// is not training time: steps/s stays the steady rate.
	elapsed := max(0, time.Since(start).Seconds()-(a.compileSec-compiled))
	a.steps = step
	a.seen += int64(k)
	a.count(k+scanned, len(a.selIdx))
	a.wall += elapsed
	ev = a.event(b, preds, step, version, elapsed)
	ev.Scanned = scanned
	a.lossSum += ev.BatchLoss
	a.lossN++
	a.stats.update(b, a.losses[:k], a.probs[:k], preds, a.selIdx)
	return ev, nil
}

// grow sizes the scratch buffers for k examples of c classes.
func (a *arm) grow(k, c int) {
	if cap(a.logp) < k*c {
		a.logp = make([]float32, k*c)
	}
	if cap(a.losses) < k {
		a.losses = make([]float64, k)
		a.probs = make([]float64, k)
		a.selIdx = make([]int, 0, k)
		a.selW = make([]float64, 0, k)
	}
	a.logp = a.logp[:k*c]
}

// fillTargets writes one-hot labels and, with focal alpha, the per-row
// alpha into a training graph for the first n rows; rows maps graph rows to
// batch rows (nil: identity).
func (a *arm) fillTargets(tg *model.Graph, labels []int, rows []int, n int) {
	c := len(tg.Onehot) / tg.N
	clear(tg.Onehot)
	for r := 0; r < n; r++ {
		i := r
		if rows != nil {
			i = rows[r]
		}
		tg.Onehot[r*c+labels[i]] = 1
		if tg.Alpha != nil {
			tg.Alpha[r] = float32(alphaFor(labels[i], a.cfg.FocalAlpha))
		}
	}
}

// fillTraining prepares the training graph for the current selection: the
// whole batch with zero weights for dropped examples (mask), or only the
// selected rows padded to a bucket size with zero-weight copies of the first
// selected row (twopass).
func (a *arm) fillTraining(b *batch, k, c int) (*model.Graph, error) {
	if a.cfg.Exec == ExecMask {
		tg, err := a.trainGraph(k)
		if err != nil {
			return nil, err
		}
		fillAll(tg.X, b)
		a.fillTargets(tg, b.labels, nil, k)
		clear(tg.Weight)
		for j, i := range a.selIdx {
			tg.Weight[i] = float32(a.selW[j])
		}
		return tg, nil
	}
	n := len(a.selIdx)
	size := bucket(n, a.cfg.Select.M, k)
	tg, err := a.tailGraph(size)
	if err != nil {
		return nil, err
	}
	if a.scored == nil || a.scored.N != k {
		return nil, fmt.Errorf("arms[%d]: two-pass step without its first pass", a.idx)
	}
	rows := a.selIdx
	if size > n {
		rows = make([]int, size)
		copy(rows, a.selIdx)
		for r := n; r < size; r++ {
			rows[r] = a.selIdx[0]
		}
	}
	// The first pass converted every row of the batch already: the kept
	// rows' features and pre-activations are copied from it.
	w, d := len(tg.Z1)/size, b.set.Dim
	for r, i := range rows {
		copy(tg.X[r*d:(r+1)*d], a.scored.X[i*d:(i+1)*d])
		copy(tg.Z1[r*w:(r+1)*w], a.scored.Z1[i*w:(i+1)*w])
	}
	a.fillTargets(tg, b.labels, rows, size)
	clear(tg.Weight)
	for j := range a.selIdx {
		tg.Weight[j] = float32(a.selW[j])
	}
	return tg, nil
}

// firstNonFinite returns the index of the first NaN or Inf value, or -1.
func firstNonFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}

package trainer

import "github.com/ohemlab/ohemlab/ohem"

// quantileProbs are the loss quantiles every BatchEvent carries.
var quantileProbs = []float64{0, 0.1, 0.5, 0.9, 1}

// event builds the arm's BatchEvent for the step just taken from its
// scratch buffers; every slice is a fresh copy.
func (a *arm) event(b *batch, preds []int32, step, version int64, elapsed float64) *BatchEvent {
	k := len(b.ids)
	ev := &BatchEvent{
		Arm:              a.idx,
		Step:             step,
		Version:          version,
		K:                k,
		M:                a.cfg.Select.M,
		Strategy:         a.cfg.Select.Strategy,
		Exec:             a.cfg.Exec,
		IDs:              append([]int32(nil), b.ids...),
		Labels:           make([]int32, k),
		Preds:            preds,
		Losses:           make([]float32, k),
		TrueProb:         make([]float32, k),
		Selected:         make([]int32, len(a.selIdx)),
		Weights:          make([]float32, len(a.selW)),
		StepSeconds:      elapsed,
		ExamplesSeen:     a.seen,
		ExamplesBackprop: a.backprop,
		ExamplesForward:  a.forwarded,
		ComputeFLOPs:     a.flops,
		WallSeconds:      a.wall,
	}
	if b.flipped != nil {
		ev.Flipped = append([]bool(nil), b.flipped...)
	}
	if b.set.Dim == 2 {
		ev.XY = make([]float32, 2*k)
		for i, id := range b.ids {
			b.set.TrainRowTo(ev.XY[2*i:2*i+2], int(id))
		}
	}
	for i := 0; i < k; i++ {
		ev.Labels[i] = int32(b.labels[i])
		ev.Losses[i] = float32(a.losses[i])
		ev.TrueProb[i] = float32(a.probs[i])
	}
	for j, i := range a.selIdx {
		ev.Selected[j] = int32(i)
		ev.Weights[j] = float32(a.selW[j])
	}
	a.quantBuf = SummarizeBatch(ev, a.losses[:k], a.selIdx, b.flipped, a.quantBuf)
	return ev
}

// SummarizeBatch fills the batch-level figures of ev (BatchLoss, SelLoss,
// KeptShare, SelFlippedShare and Quantiles) from the K per-example losses,
// the selected indices and, when label noise is on, the flipped flags. The
// built-in trainer and outside training sources both use it, so a batch
// reads the same whoever trained it. buf is scratch space for the
// quantiles; the (possibly grown) buffer is returned for reuse.
func SummarizeBatch[I int | int32](ev *BatchEvent, losses []float64, selected []I, flipped []bool, buf []float64) []float64 {
	k := len(losses)
	total := 0.0
	for _, l := range losses {
		total += l
	}
	kept, nflipped := 0.0, 0
	for _, i := range selected {
		kept += losses[i]
		if flipped != nil && flipped[i] {
			nflipped++
		}
	}
	buf = ohem.Quantiles(buf[:0], losses, quantileProbs)
	for i, q := range buf {
		ev.Quantiles[i] = float32(q)
	}
	ev.BatchLoss = total / float64(k)
	if n := len(selected); n > 0 {
		ev.SelLoss = kept / float64(n)
		ev.SelFlippedShare = float64(nflipped) / float64(n)
	}
	if total > 0 {
		ev.KeptShare = kept / total
	} else {
		ev.KeptShare = float64(len(selected)) / float64(k)
	}
	return buf
}

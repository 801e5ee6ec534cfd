package external

import (
	"fmt"
	"math"
	"slices"

	"github.com/ohemlab/ohemlab/trainer"
)

// maxTracked bounds the examples whose statistics one arm keeps; examples
// first seen beyond it are not tracked.
const maxTracked = 1 << 20

// exStat is one example's running statistics.
type exStat struct {
	seen, selected, forgets int32
	label, pred             int32
	flipped, correct        bool
	lastLoss                float32
	sumLoss, sumP, sumP2    float64
}

// stats are one arm's per-example statistics (Dataset Cartography and
// forgetting), keyed by the client's example ids.
type stats struct {
	ex   map[int64]*exStat
	step int64
}

func newStats() *stats { return &stats{ex: map[int64]*exStat{}} }

// update records one presentation of every example of b.
func (s *stats) update(b *Batch, step int64) {
	s.step = max(s.step, step)
	for i, id := range b.IDs {
		e := s.ex[id]
		if e == nil {
			if len(s.ex) >= maxTracked {
				continue
			}
			e = &exStat{}
			s.ex[id] = e
		}
		right := b.Preds[i] == b.Labels[i]
		if e.seen > 0 && e.correct && !right {
			e.forgets++
		}
		e.seen++
		e.correct = right
		e.label, e.pred = b.Labels[i], b.Preds[i]
		e.lastLoss = float32(b.Losses[i])
		e.sumLoss += b.Losses[i]
		if b.TrueProb != nil {
			p := b.TrueProb[i]
			e.sumP += p
			e.sumP2 += p * p
		}
		if b.Flipped != nil {
			e.flipped = b.Flipped[i]
		}
	}
	for _, i := range b.Selected {
		if e := s.ex[b.IDs[i]]; e != nil {
			e.selected++
		}
	}
}

func (s *stats) get(id int64, e *exStat) trainer.ExampleStats {
	out := trainer.ExampleStats{ID: int32(id), Label: e.label, CleanLabel: e.label, Flipped: e.flipped,
		Seen: e.seen, Selected: e.selected, LastLoss: e.lastLoss, Forgets: e.forgets, LastPred: e.pred}
	if n := float64(e.seen); n > 0 {
		out.MeanLoss = float32(e.sumLoss / n)
		mean := e.sumP / n
		out.Confidence = float32(mean)
		out.Variability = float32(math.Sqrt(math.Max(e.sumP2/n-mean*mean, 0)))
	}
	return out
}

// dataMap returns up to max examples (all if max <= 0), evenly spaced over
// the seen ones in id order.
func (s *stats) dataMap(max int) (int, []trainer.ExampleStats) {
	ids := make([]int64, 0, len(s.ex))
	for id := range s.ex {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	total := len(ids)
	want := total
	if max > 0 && max < total {
		want = max
	}
	pts := make([]trainer.ExampleStats, 0, want)
	next := 0
	for j, id := range ids {
		if j*want/total == next && len(pts) < want {
			pts = append(pts, s.get(id, s.ex[id]))
			next++
		}
	}
	return total, pts
}

// example returns one example's statistics.
func (s *stats) example(id int64) (trainer.ExampleStats, error) {
	e := s.ex[id]
	if e == nil {
		return trainer.ExampleStats{}, fmt.Errorf("example %d has not been reported by the training process", id)
	}
	return s.get(id, e), nil
}

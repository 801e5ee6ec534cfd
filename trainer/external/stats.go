package external

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/ohemlab/ohemlab/trainer"
)

// maxTracked bounds the examples whose statistics one arm keeps; examples
// first seen beyond it are not tracked.
const maxTracked = 1 << 20

// exStat is one example's running statistics, padded to 64 bytes: in the
// slice of a run's examples (aligned by alignedStats) each then fills one
// cache line instead of straddling two, so an ingested batch's scattered examples cost
// one memory access each.
type exStat struct {
	seen, selected, forgets int32
	label, pred             int32
	flipped, correct        bool
	lastLoss                float32
	sumLoss, sumP, sumP2    float64
	_                       [8]byte
}

// stats are one arm's per-example statistics (Dataset Cartography and
// forgetting), keyed by the client's example ids: in a slice indexed by id
// when the hello declared a training-set size of at most maxTracked (the
// usual case: a slice index per example instead of a map look-up on every
// ingested batch), else in a map.
type stats struct {
	dense []exStat // by id; an entry with seen == 0 was never reported
	ex    map[int64]*exStat
	n     int // examples tracked
	step  int64
	touch int32 // see update
}

// denseMax is the largest training set whose statistics are kept in a
// slice (64 bytes an example, allocated as the run starts).
const denseMax = maxTracked

func newStats(numTrain int) *stats {
	if numTrain > 0 && numTrain <= denseMax {
		return &stats{dense: alignedStats(numTrain)}
	}
	return &stats{ex: map[int64]*exStat{}}
}

// cacheLine is the size of a CPU cache line (and of an exStat).
const cacheLine = 64

// alignedStats returns n zeroed exStats starting on a cache-line boundary
// (Go aligns large allocations only to 8 or 16 bytes): one more than n is
// allocated and the slice begins where the first line starts.
func alignedStats(n int) []exStat {
	buf := make([]exStat, n+1)
	p := unsafe.Pointer(&buf[0])
	if off := uintptr(p) % cacheLine; off != 0 {
		p = unsafe.Add(p, cacheLine-off)
	}
	return unsafe.Slice((*exStat)(p), n)
}

// at returns id's statistics, or nil when id is not tracked; add starts
// tracking a new id (unless maxTracked are).
func (s *stats) at(id int64, add bool) *exStat {
	if s.dense != nil {
		if id < 0 || id >= int64(len(s.dense)) {
			return nil
		}
		e := &s.dense[id]
		if e.seen == 0 {
			if !add || s.n >= maxTracked {
				return nil
			}
			s.n++
		}
		return e
	}
	e := s.ex[id]
	if e == nil && add && s.n < maxTracked {
		e = &exStat{}
		s.ex[id] = e
		s.n++
	}
	return e
}

// update records one presentation of every example of b.
func (s *stats) update(b *Batch, step int64) {
	s.step = max(s.step, step)
	if s.dense != nil {
		// Read every example's entry first: a batch's ids are scattered
		// over a table larger than the caches, and these independent loads
		// wait for memory together, where the loop below, whose every
		// iteration does much more, would wait for one miss at a time.
		var t int32
		for _, id := range b.IDs {
			if uint64(id) < uint64(len(s.dense)) {
				t += s.dense[id].seen
			}
		}
		s.touch = t // used, so the loads stay
	}
	for i, id := range b.IDs {
		e := s.at(id, true)
		if e == nil {
			continue
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
		if e := s.at(b.IDs[i], false); e != nil {
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
	ids := make([]int64, 0, s.n)
	if s.dense != nil {
		for id := range s.dense {
			if s.dense[id].seen > 0 {
				ids = append(ids, int64(id))
			}
		}
	} else {
		for id := range s.ex {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	total := len(ids)
	want := total
	if max > 0 && max < total {
		want = max
	}
	pts := make([]trainer.ExampleStats, 0, want)
	next := 0
	for j, id := range ids {
		if j*want/total == next && len(pts) < want {
			pts = append(pts, s.get(id, s.at(id, false)))
			next++
		}
	}
	return total, pts
}

// example returns one example's statistics.
func (s *stats) example(id int64) (trainer.ExampleStats, error) {
	e := s.at(id, false)
	if e == nil {
		return trainer.ExampleStats{}, fmt.Errorf("example %d has not been reported by the training process", id)
	}
	return s.get(id, e), nil
}

package trainer

import (
	"fmt"
	"math"
	"sync"
)

// exampleStats accumulates one arm's per-example statistics over the whole
// run (the data map). The training goroutine writes it once per step; other
// goroutines read snapshots under mu.
type exampleStats struct {
	mu       sync.RWMutex
	seen     []int32
	selected []int32
	lastLoss []float32
	sumLoss  []float64
	sumP     []float64 // sum of true-class probability
	sumP2    []float64 // sum of its square
	forgets  []int32
	lastPred []int32
	correct  []bool // last presentation was predicted right
	total    int    // examples seen at least once
	step     int64
}

// newExampleStats allocates statistics for n training examples.
func newExampleStats(n int) *exampleStats {
	return &exampleStats{
		seen:     make([]int32, n),
		selected: make([]int32, n),
		lastLoss: make([]float32, n),
		sumLoss:  make([]float64, n),
		sumP:     make([]float64, n),
		sumP2:    make([]float64, n),
		forgets:  make([]int32, n),
		lastPred: make([]int32, n),
		correct:  make([]bool, n),
	}
}

// update records one presentation of every batch example: its loss,
// true-class probability and prediction, and which rows were selected.
func (s *exampleStats) update(b *batch, losses, probs []float64, preds []int32, sel []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.step++
	for i, id := range b.ids {
		if s.seen[id] == 0 {
			s.total++
		}
		right := int(preds[i]) == b.labels[i]
		if s.seen[id] > 0 && s.correct[id] && !right {
			s.forgets[id]++
		}
		s.seen[id]++
		s.correct[id] = right
		s.lastPred[id] = preds[i]
		s.lastLoss[id] = float32(losses[i])
		s.sumLoss[id] += losses[i]
		s.sumP[id] += probs[i]
		s.sumP2[id] += probs[i] * probs[i]
	}
	for _, i := range sel {
		s.selected[b.ids[i]]++
	}
}

// get returns example id's statistics; labels come from the caller's set.
// The caller holds s.mu for reading.
func (s *exampleStats) get(id int) ExampleStats {
	e := ExampleStats{
		ID:       int32(id),
		Seen:     s.seen[id],
		Selected: s.selected[id],
		LastLoss: s.lastLoss[id],
		Forgets:  s.forgets[id],
		LastPred: s.lastPred[id],
	}
	if n := float64(s.seen[id]); n > 0 {
		e.MeanLoss = float32(s.sumLoss[id] / n)
		mean := s.sumP[id] / n
		v := s.sumP2[id]/n - mean*mean
		e.Confidence = float32(mean)
		e.Variability = float32(math.Sqrt(math.Max(v, 0)))
	}
	return e
}

// dataMap returns up to max seen examples (all if max <= 0). When more are
// seen, it keeps every example whose index falls on an evenly spaced
// stride over the seen ones, so the same state gives the same points.
func (s *exampleStats) dataMap(max int, label func(e *ExampleStats)) (total int, step int64, pts []ExampleStats) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	total = s.total
	want := total
	if max > 0 && max < total {
		want = max
	}
	pts = make([]ExampleStats, 0, want)
	if want == 0 {
		return total, s.step, pts
	}
	// The j-th seen example is kept when floor(j*want/total) increases.
	j := 0
	next := 0
	for id, n := range s.seen {
		if n == 0 {
			continue
		}
		if j*want/total == next && len(pts) < want {
			e := s.get(id)
			label(&e)
			pts = append(pts, e)
			next++
		}
		j++
	}
	return total, s.step, pts
}

// example returns one example's statistics.
func (s *exampleStats) example(id int, label func(e *ExampleStats)) (ExampleStats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id < 0 || id >= len(s.seen) {
		return ExampleStats{}, fmt.Errorf("example id %d out of range: want 0 <= id < %d", id, len(s.seen))
	}
	e := s.get(id)
	label(&e)
	return e, nil
}

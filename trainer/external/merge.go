package external

import "slices"

// maxPendingSteps bounds the steps waiting for their other ranks; beyond it
// the oldest is published with the ranks that arrived.
const maxPendingSteps = 32

// merger joins the batches of the ranks of one multi-process job: one
// event per (arm, step) whose examples are rank 0's, then rank 1's, ...
type merger struct {
	world   int
	pending map[mergeKey]*partial
	order   []mergeKey
}

type mergeKey struct {
	arm  int
	step int64
}

type partial struct {
	parts []*Batch
	n     int
}

// merged is one joined batch and the rank of each of its examples.
type merged struct {
	batch *Batch
	ranks []int32
}

func newMerger(world int) *merger {
	return &merger{world: world, pending: map[mergeKey]*partial{}}
}

// add takes rank's batch and returns the batches completed by it (and any
// stale ones pushed out).
func (m *merger) add(rank int, b *Batch) []merged {
	key := mergeKey{b.Arm, b.Step}
	p := m.pending[key]
	if p == nil {
		p = &partial{parts: make([]*Batch, m.world)}
		m.pending[key] = p
		m.order = append(m.order, key)
	}
	if p.parts[rank] == nil {
		p.n++
	}
	p.parts[rank] = b
	var out []merged
	if p.n == m.world {
		out = append(out, m.take(key))
	}
	for len(m.order) > maxPendingSteps {
		out = append(out, m.take(m.order[0]))
	}
	return out
}

// take removes key's partial and joins its parts.
func (m *merger) take(key mergeKey) merged {
	p := m.pending[key]
	delete(m.pending, key)
	if i := slices.Index(m.order, key); i >= 0 {
		m.order = slices.Delete(m.order, i, i+1)
	}
	return join(p.parts)
}

// join concatenates the ranks' batches; each rank's weights keep their
// share 1/ranks of the total.
func join(parts []*Batch) merged {
	out := &Batch{}
	var ranks []int32
	present := 0
	for _, b := range parts {
		if b != nil {
			present++
		}
	}
	var first *Batch
	for r, b := range parts {
		if b == nil {
			continue
		}
		if first == nil {
			first = b
			out.Arm, out.Step, out.Strategy, out.Version = b.Arm, b.Step, b.Strategy, b.Version
			if b.Images != nil {
				out.Images = &Images{Shape: b.Images.Shape}
			}
		}
		off := int32(len(out.Losses))
		out.Losses = append(out.Losses, b.Losses...)
		out.Labels = append(out.Labels, b.Labels...)
		out.Preds = append(out.Preds, b.Preds...)
		out.IDs = append(out.IDs, b.IDs...)
		for range b.Losses {
			ranks = append(ranks, int32(r))
		}
		wsum := 0.0
		for _, w := range b.Weights {
			wsum += w
		}
		for j, i := range b.Selected {
			out.Selected = append(out.Selected, off+i)
			w := 1 / float64(len(b.Selected))
			if b.Weights != nil && wsum > 0 {
				w = b.Weights[j] / wsum
			}
			out.Weights = append(out.Weights, w/float64(present))
		}
		out.M += max(b.M, len(b.Selected))
		out.StepSeconds = max(out.StepSeconds, b.StepSeconds)
		out.TrueProb = joinOptional(out.TrueProb, b.TrueProb, len(out.Losses)-len(b.Losses), len(b.Losses))
		out.Flipped = joinOptional(out.Flipped, b.Flipped, len(out.Losses)-len(b.Losses), len(b.Losses))
		if out.Images != nil {
			if b.pixels != nil && slices.Equal(b.Images.Shape, out.Images.Shape) {
				out.pixels = append(out.pixels, b.pixels...)
			} else {
				out.Images, out.pixels = nil, nil
			}
		}
	}
	return merged{batch: out, ranks: ranks}
}

// joinOptional appends an optional per-example array of n entries to dst,
// which holds have entries so far: missing arrays are filled with zero
// values once any rank sends one.
func joinOptional[T any](dst, src []T, have, n int) []T {
	if src == nil && dst == nil {
		return nil
	}
	if dst == nil {
		dst = make([]T, have)
	}
	if src == nil {
		return append(dst, make([]T, n)...)
	}
	return append(dst, src...)
}

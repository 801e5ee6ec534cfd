package trainer

import (
	"fmt"
	"math/rand"

	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/internal/model"
)

// Seed offsets keep the random streams of the session independent.
const (
	seedStream = 0x6f68656d // batch order
	seedInit   = 0x696e6974 // weight init
)

// session is one experiment in progress: the data, the shared data stream
// and the arms. It is owned by the training goroutine.
type session struct {
	cfg     Config // in force
	version int64
	set     *data.Set
	arms    []*arm
	step    int64 // steps done (by every arm)

	rng   *rand.Rand
	perm  []int
	pos   int
	epoch int

	b batch // the current batch, reused
}

// newSession builds a session for a defaulted, validated cfg on set: the
// initial weights are drawn once and copied into every arm.
func newSession(cfg Config, set *data.Set, version int64) (*session, error) {
	if err := cfg.CheckData(set.NumTrain()); err != nil {
		return nil, err
	}
	if set.Classes < 2 {
		return nil, fmt.Errorf("data: %d classes: want at least 2", set.Classes)
	}
	init := model.NewMLP(set.Dim, cfg.Model.Hidden, set.Classes, cfg.Model.Activation == ActTanh, rand.New(rand.NewSource(cfg.Seed^seedInit)))
	e := &session{
		cfg:     cfg,
		version: version,
		set:     set,
		rng:     rand.New(rand.NewSource(cfg.Seed ^ seedStream)),
	}
	for i, ac := range cfg.Arms {
		a, err := newArm(i, ac, cfg.Model, init, cfg.Seed, set.NumTrain())
		if err != nil {
			e.close()
			return nil, err
		}
		e.arms = append(e.arms, a)
	}
	e.b.set = set
	return e, nil
}

// nextBatch advances the shared data stream by K examples: a fresh seeded
// permutation every epoch, the last partial batch of an epoch dropped.
func (e *session) nextBatch() *batch {
	k := e.cfg.K
	n := e.set.NumTrain()
	if e.perm == nil || e.pos+k > n {
		e.perm = e.rng.Perm(n)
		e.pos = 0
		e.epoch++
	}
	ids := e.perm[e.pos : e.pos+k]
	e.pos += k
	b := &e.b
	b.ids = b.ids[:0]
	b.labels = b.labels[:0]
	b.flipped = b.flipped[:0]
	for _, id := range ids {
		b.ids = append(b.ids, int32(id))
		b.labels = append(b.labels, int(e.set.TrainY[id]))
		if e.set.Flipped != nil {
			b.flipped = append(b.flipped, e.set.Flipped[id])
		}
	}
	if e.set.Flipped == nil {
		b.flipped = nil
	}
	return b
}

// apply brings the session to a new config version of the same data and
// model: K (graphs are rebuilt lazily at the new size, weights kept) and the
// arm settings.
func (e *session) apply(cfg Config, version int64) error {
	for i, a := range e.arms {
		if err := a.setConfig(cfg.Arms[i]); err != nil {
			return err
		}
	}
	if cfg.K != e.cfg.K {
		for _, a := range e.arms {
			// Graphs of the old sizes are no longer used: free them.
			a.dropGraphs(true)
		}
	}
	e.cfg = cfg
	e.version = version
	return nil
}

// close releases every arm's graphs.
func (e *session) close() {
	for _, a := range e.arms {
		a.close()
	}
}

package trainer

import (
	"math/rand"

	"github.com/ohemlab/ohemlab/ohem"
)

// seedOffline keeps the offline arms' pool and draw stream independent of
// the batch order and the weight init.
const seedOffline = 0x6f66666c

// offlineCache is an offline arm's state: the hardest examples of its last
// scan and where the draws stand. It belongs to the training goroutine.
type offlineCache struct {
	rng      *rand.Rand
	ids      []int32 // the kept hardest examples, in draw order
	pos      int     // next draw position in ids
	lastScan int64   // step of the last scan (0: none yet)
	pool     int     // the Pool and Hard of the last scan, to rescan on a change
	hard     int
	scans    int64

	// Scratch of a scan.
	perm   []int
	losses []float64
	probs  []float64
	preds  []int32
	labels []int
	top    []int
	b      batch // the batch of drawn examples, reused
}

// newOfflineCache returns an empty cache seeded for arm idx.
func newOfflineCache(seed int64, idx int) *offlineCache {
	return &offlineCache{rng: rand.New(rand.NewSource(seed ^ seedOffline ^ int64(idx)<<32))}
}

// offlineChunk is the number of pool examples scored per forward run.
const offlineChunk = 1000

// due reports whether the cache must be (re)filled before step: never
// scanned, Refresh steps since the last scan, or Pool or Hard changed.
func (c *offlineCache) due(p ohem.Params, step int64) bool {
	return c.lastScan == 0 || len(c.ids) == 0 || step-c.lastScan >= int64(p.Refresh) ||
		p.Pool != c.pool || p.Hard != c.hard
}

// scan scores a pool of min(Pool, training set) examples drawn uniformly
// without replacement with the arm's current network, forward only, and
// keeps the hardest of them (ohem.Hardest; see scaledHard for how many) in
// a random draw order.
// It returns the number of examples scored.
func (a *arm) scan(b *batch, p ohem.Params, step int64) (int, error) {
	c := a.offline
	set := b.set
	n := set.NumTrain()
	pool := min(p.Pool, n)
	// The first pool entries of a partial Fisher-Yates shuffle.
	if cap(c.perm) < n {
		c.perm = make([]int, n)
	}
	c.perm = c.perm[:n]
	for i := range c.perm {
		c.perm[i] = i
	}
	for i := 0; i < pool; i++ {
		j := i + c.rng.Intn(n-i)
		c.perm[i], c.perm[j] = c.perm[j], c.perm[i]
	}
	ids := c.perm[:pool]
	if cap(c.losses) < pool {
		c.losses = make([]float64, pool)
		c.probs = make([]float64, pool)
		c.preds = make([]int32, pool)
		c.labels = make([]int, pool)
	}
	c.losses, c.probs, c.preds, c.labels = c.losses[:pool], c.probs[:pool], c.preds[:pool], c.labels[:pool]
	for i, id := range ids {
		c.labels[i] = int(set.TrainY[id])
	}
	chunk := min(offlineChunk, pool)
	g, err := a.forward(chunk)
	if err != nil {
		return 0, err
	}
	classes, dim := set.Classes, set.Dim
	logp := make([]float32, chunk*classes)
	for first := 0; first < pool; first += chunk {
		cnt := min(chunk, pool-first)
		for r := 0; r < cnt; r++ {
			set.TrainRowTo(g.X[r*dim:(r+1)*dim], ids[first+r])
		}
		clear(g.X[cnt*dim:])
		_, err := g.Run(logp)
		g.Reset()
		if err != nil {
			return 0, err
		}
		exampleLosses(c.losses[first:first+cnt], c.probs[first:first+cnt], c.preds[first:first+cnt],
			logp[:cnt*classes], c.labels[first:first+cnt], classes, a.cfg.FocalGamma, a.cfg.FocalAlpha)
	}
	if bad := firstNonFinite(c.losses); bad >= 0 {
		return 0, &divergence{arm: a.idx, step: step, reason: "a pool scan gave a NaN or Inf loss"}
	}
	c.top = ohem.Hardest(c.top[:0], c.losses, scaledHard(p, n))
	c.ids = c.ids[:0]
	for _, i := range c.top {
		c.ids = append(c.ids, int32(ids[i]))
	}
	c.rng.Shuffle(len(c.ids), func(i, j int) { c.ids[i], c.ids[j] = c.ids[j], c.ids[i] })
	c.pos = 0
	c.lastScan, c.pool, c.hard = step, p.Pool, p.Hard
	c.scans++
	return pool, nil
}

// scaledHard is the number of pool examples a scan keeps from a training
// set of n examples: Hard, or, when Pool is larger than the set (a small
// 2-D set and the MNIST defaults), the same share Hard/Pool of the set, so
// that offline still keeps its hardest share instead of everything.
func scaledHard(p ohem.Params, n int) int {
	if p.Pool <= n {
		return p.Hard
	}
	return max(1, int(int64(p.Hard)*int64(n)/int64(p.Pool)))
}

// offlineBatch returns the batch an offline arm trains on at step: M
// examples drawn from its cache (all of it if the cache is smaller), in
// passes over the cache in a fresh random order each time, after a scan if
// one is due. It reports how many examples the scan scored (0: none).
func (a *arm) offlineBatch(stream *batch, step int64) (*batch, int, error) {
	if a.offline == nil {
		a.offline = newOfflineCache(a.seed, a.idx)
	}
	c := a.offline
	p := a.sel.Params()
	scanned := 0
	if c.due(p, step) {
		var err error
		if scanned, err = a.scan(stream, p, step); err != nil {
			return nil, 0, err
		}
	}
	set := stream.set
	m := min(p.M, len(c.ids))
	b := &c.b
	b.set = set
	b.ids, b.labels, b.flipped = b.ids[:0], b.labels[:0], b.flipped[:0]
	for len(b.ids) < m {
		if c.pos == len(c.ids) {
			c.rng.Shuffle(len(c.ids), func(i, j int) { c.ids[i], c.ids[j] = c.ids[j], c.ids[i] })
			c.pos = 0
		}
		id := c.ids[c.pos]
		c.pos++
		b.ids = append(b.ids, id)
		b.labels = append(b.labels, int(set.TrainY[id]))
		if set.Flipped != nil {
			b.flipped = append(b.flipped, set.Flipped[id])
		}
	}
	if set.Flipped == nil {
		b.flipped = nil
	}
	return b, scanned, nil
}

// offlineIDs returns a copy of the training-set ids an offline arm keeps
// from its last scan, in draw order (nil before the first scan).
func (a *arm) offlineIDs() []int32 {
	if a.offline == nil {
		return nil
	}
	return append([]int32(nil), a.offline.ids...)
}

package trainer

import (
	"fmt"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	G "gorgonia.org/gorgonia"
)

// arm is one arm's model, graphs, optimiser and selector. It is owned by
// the training goroutine.
type arm struct {
	idx    int
	cfg    ArmConfig
	model  *mlp
	fwd    map[int]*netGraph // forward-only graphs by batch size
	score  map[int]*netGraph // first passes of two-pass steps by batch size
	train  map[int]*netGraph // training graphs by batch size (for ls)
	tails  map[int]*netGraph // second passes of two-pass steps by batch size (for ls)
	ls     lossSpec
	opt    ModelConfig
	solver G.Solver
	sel    *ohem.Selector
	seed   int64

	// Scratch buffers of the current step, reused.
	logp     []float32
	losses   []float64
	probs    []float64
	labels   []int
	selIdx   []int
	selW     []float64
	quantBuf []float64
	gradBuf  []G.Value
	scored   *netGraph // the score graph of the current two-pass step

	// Progress.
	steps, seen, backprop int64
	wall                  float64 // training seconds, without compiling graphs
	compileSec            float64 // seconds spent compiling graphs
	lossSum               float64 // batch losses since the last eval
	lossN                 int
	lastEval              *EvalEvent

	// Divergence recovery: the last parameters known to be finite.
	good     *mlp
	goodStep int64
	// refLoss is the mean loss of the arm's first batch, at least ln C:
	// the yardstick of lossExploded.
	refLoss float64

	stats *exampleStats
}

// newArm builds an arm on a copy of the initial model init.
func newArm(i int, ac ArmConfig, mc ModelConfig, init *mlp, seed int64, numTrain int) (*arm, error) {
	sel, err := ohem.New(ac.Select, seed)
	if err != nil {
		return nil, fmt.Errorf("arms[%d]: %w", i, err)
	}
	a := &arm{
		idx:   i,
		cfg:   ac,
		model: init.clone(),
		fwd:   map[int]*netGraph{},
		score: map[int]*netGraph{},
		train: map[int]*netGraph{},
		tails: map[int]*netGraph{},
		ls:    armLoss(ac),
		opt:   mc,
		sel:   sel,
		seed:  seed,
		good:  init.clone(),
		stats: newExampleStats(numTrain),
	}
	a.solver = newSolver(mc, ac.LR)
	return a, nil
}

// armLoss returns the loss spec of an arm config.
func armLoss(ac ArmConfig) lossSpec {
	return lossSpec{gamma: ac.FocalGamma, alpha: ac.FocalAlpha > 0}
}

// newSolver returns a fresh optimiser: plain SGD (no momentum), SGD with
// momentum, or Adam.
func newSolver(mc ModelConfig, lr float64) G.Solver {
	switch {
	case mc.Optimizer == OptAdam:
		return G.NewAdamSolver(G.WithLearnRate(lr))
	case mc.Momentum > 0:
		return G.NewMomentum(G.WithLearnRate(lr), G.WithMomentum(mc.Momentum))
	default:
		return G.NewVanillaSolver(G.WithLearnRate(lr))
	}
}

// forward returns the forward graph of batch size n, building it once.
func (a *arm) forward(n int) (*netGraph, error) {
	return a.cachedGraph(a.fwd, n, func() (*netGraph, error) { return buildForward(a.model, n) })
}

// scoreGraph returns the first-pass graph of batch size n, building it once.
func (a *arm) scoreGraph(n int) (*netGraph, error) {
	return a.cachedGraph(a.score, n, func() (*netGraph, error) { return buildScore(a.model, n) })
}

// trainGraph returns the training graph of batch size n, building it once.
func (a *arm) trainGraph(n int) (*netGraph, error) {
	return a.cachedGraph(a.train, n, func() (*netGraph, error) { return buildTrain(a.model, n, a.ls) })
}

// tailGraph returns the second-pass graph of batch size n, building it once.
func (a *arm) tailGraph(n int) (*netGraph, error) {
	return a.cachedGraph(a.tails, n, func() (*netGraph, error) { return buildTail(a.model, n, a.ls) })
}

// cachedGraph returns cache[n], building and storing it first if needed.
// Build time is added to a.compileSec.
func (a *arm) cachedGraph(cache map[int]*netGraph, n int, build func() (*netGraph, error)) (*netGraph, error) {
	if g, ok := cache[n]; ok {
		return g, nil
	}
	start := time.Now()
	g, err := build()
	a.compileSec += time.Since(start).Seconds()
	if err != nil {
		return nil, err
	}
	cache[n] = g
	return g, nil
}

// dropGraphs closes and forgets the compiled graphs: those that depend on
// the loss, and the forward-only ones too if fwd is true.
func (a *arm) dropGraphs(fwd bool) {
	caches := []map[int]*netGraph{a.train, a.tails}
	if fwd {
		caches = append(caches, a.fwd, a.score)
	}
	for _, c := range caches {
		for n, g := range c {
			g.close()
			delete(c, n)
		}
	}
}

// setConfig applies a new arm config between batches: selector params,
// learning rate and loss; the weights are kept.
func (a *arm) setConfig(ac ArmConfig) error {
	if ac.Select != a.cfg.Select {
		if err := a.sel.SetParams(ac.Select); err != nil {
			return fmt.Errorf("arms[%d]: %w", a.idx, err)
		}
	}
	if ac.LR != a.cfg.LR {
		G.WithLearnRate(ac.LR)(a.solver)
	}
	if ls := armLoss(ac); ls != a.ls {
		a.ls = ls
		a.dropGraphs(false)
	}
	a.cfg = ac
	return nil
}

// restoreGood puts back the last finite parameters and restarts the
// optimiser (its state may hold NaNs).
func (a *arm) restoreGood() {
	a.model.copyFrom(a.good)
	a.solver = newSolver(a.opt, a.cfg.LR)
}

// saveGood records the current parameters as the last good ones if they
// are finite.
func (a *arm) saveGood(step int64) bool {
	if ok, _ := a.model.finite(); !ok {
		return false
	}
	a.good.copyFrom(a.model)
	a.goodStep = step
	return true
}

// close releases the arm's graphs.
func (a *arm) close() { a.dropGraphs(true) }

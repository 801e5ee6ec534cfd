package trainer

import (
	"fmt"
	"time"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/internal/model"
)

// arm is one arm's model, graphs, optimiser and selector. It is owned by
// the training goroutine.
type arm struct {
	idx    int
	cfg    ArmConfig
	model  *model.MLP
	fwd    map[int]*model.Graph // forward-only graphs by batch size
	score  map[int]*model.Graph // first passes of two-pass steps by batch size
	train  map[int]*model.Graph // training graphs by batch size (for ls)
	tails  map[int]*model.Graph // second passes of two-pass steps by batch size (for ls)
	ls     model.Loss
	opt    ModelConfig
	solver *model.Optimizer
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
	scored   *model.Graph // the score graph of the current two-pass step

	// Progress.
	steps, seen, backprop int64
	forwarded, flops      int64   // training forwards and FLOPs (see compute.go)
	fwdFLOPs              int64   // forward FLOPs of one example
	wall                  float64 // training seconds, without compiling graphs
	compileSec            float64 // seconds spent compiling graphs
	lossSum               float64 // batch losses since the last eval
	lossN                 int
	lastEval              *EvalEvent

	// Divergence recovery: the last parameters known to be finite.
	good     *model.MLP
	goodStep int64
	// refLoss is the mean loss of the arm's first batch, at least ln C:
	// the yardstick of lossExploded.
	refLoss float64

	stats *exampleStats
	// offline is the offline strategy's cache; nil until the arm first
	// trains with offline, and dropped when it switches to offline again.
	offline *offlineCache
}

// newArm builds an arm on a copy of the initial model init.
func newArm(i int, ac ArmConfig, mc ModelConfig, init *model.MLP, seed int64, numTrain int) (*arm, error) {
	sel, err := ohem.New(ac.Select, seed)
	if err != nil {
		return nil, fmt.Errorf("arms[%d]: %w", i, err)
	}
	a := &arm{
		idx:   i,
		cfg:   ac,
		model: init.Clone(),
		fwd:   map[int]*model.Graph{},
		score: map[int]*model.Graph{},
		train: map[int]*model.Graph{},
		tails: map[int]*model.Graph{},
		ls:    armLoss(ac),
		opt:   mc,
		sel:   sel,
		seed:  seed,
		good:  init.Clone(),
		stats: newExampleStats(numTrain),
	}
	dims := append(append([]int{init.Inputs()}, mc.Hidden...), init.Classes())
	a.fwdFLOPs = forwardFLOPs(dims)
	a.solver = newSolver(mc, ac.LR)
	return a, nil
}

// armLoss returns the loss spec of an arm config.
func armLoss(ac ArmConfig) model.Loss {
	return model.Loss{Gamma: ac.FocalGamma, Alpha: ac.FocalAlpha > 0}
}

// newSolver returns a fresh optimiser: plain SGD (no momentum), SGD with
// momentum, or Adam.
func newSolver(mc ModelConfig, lr float64) *model.Optimizer {
	return model.NewOptimizer(mc.Optimizer == OptAdam, mc.Momentum, lr)
}

// forward returns the forward graph of batch size n, building it once.
func (a *arm) forward(n int) (*model.Graph, error) {
	return a.cachedGraph(a.fwd, n, func() (*model.Graph, error) { return model.BuildForward(a.model, n) })
}

// scoreGraph returns the first-pass graph of batch size n, building it once.
func (a *arm) scoreGraph(n int) (*model.Graph, error) {
	return a.cachedGraph(a.score, n, func() (*model.Graph, error) { return model.BuildScore(a.model, n) })
}

// trainGraph returns the training graph of batch size n, building it once.
func (a *arm) trainGraph(n int) (*model.Graph, error) {
	return a.cachedGraph(a.train, n, func() (*model.Graph, error) { return model.BuildTrain(a.model, n, a.ls) })
}

// tailGraph returns the second-pass graph of batch size n, building it once.
func (a *arm) tailGraph(n int) (*model.Graph, error) {
	return a.cachedGraph(a.tails, n, func() (*model.Graph, error) { return model.BuildTail(a.model, n, a.ls) })
}

// cachedGraph returns cache[n], building and storing it first if needed.
// Build time is added to a.compileSec.
func (a *arm) cachedGraph(cache map[int]*model.Graph, n int, build func() (*model.Graph, error)) (*model.Graph, error) {
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
	caches := []map[int]*model.Graph{a.train, a.tails}
	if fwd {
		caches = append(caches, a.fwd, a.score)
	}
	for _, c := range caches {
		for n, g := range c {
			g.Close()
			delete(c, n)
		}
	}
}

// setConfig applies a new arm config between batches: selector params,
// learning rate and loss; the weights are kept.
func (a *arm) setConfig(ac ArmConfig) error {
	if ac.Select.Strategy == ohem.Offline && a.cfg.Select.Strategy != ohem.Offline {
		a.offline = nil // a fresh scan: the old cache is stale
	}
	if ac.Select != a.cfg.Select {
		if err := a.sel.SetParams(ac.Select); err != nil {
			return fmt.Errorf("arms[%d]: %w", a.idx, err)
		}
	}
	if ac.LR != a.cfg.LR {
		a.solver.SetLR(ac.LR)
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
	a.model.CopyFrom(a.good)
	a.solver = newSolver(a.opt, a.cfg.LR)
}

// saveGood records the current parameters as the last good ones if they
// are finite.
func (a *arm) saveGood(step int64) bool {
	if ok, _ := a.model.Finite(); !ok {
		return false
	}
	a.good.CopyFrom(a.model)
	a.goodStep = step
	return true
}

// applyGrads steps the arm's optimiser with the gradients of the training
// graph's last run.
func (a *arm) applyGrads(tg *model.Graph) error { return a.solver.Step(a.model, tg) }

// close releases the arm's graphs.
func (a *arm) close() { a.dropGraphs(true) }

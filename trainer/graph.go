package trainer

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lossSpec chooses the per-example loss a training graph differentiates.
type lossSpec struct {
	gamma float64 // focal gamma; 0 = plain cross-entropy
	alpha bool    // multiply by a per-example alpha input
}

// netGraph is one compiled Gorgonia graph of fixed batch size n over a
// model's shared parameter tensors. A forward graph outputs log-probabilities;
// a training graph also outputs the weighted loss and the gradients of the
// parameters.
type netGraph struct {
	n     int
	train bool
	g     *G.ExprGraph
	vm    G.VM
	learn G.Nodes // parameter nodes, in mlp.params order

	// Bound inputs: the step copies a batch into their backing slices.
	// In a tail graph x is not bound: it holds the rows for tailGrads.
	// With plain cross-entropy onehot and weight are not bound either: run
	// folds them into target.
	x, onehot, weight, alpha []float32
	target                   []float32
	logp                     *G.Node   // n x classes log-probabilities
	cost                     *G.Node   // training only: sum_i weight_i * loss_i
	grads                    G.Nodes   // training only: gradients of learn, in order
	rw                       *rewinder // reruns keeping the registers; nil: Reset

	// Score graphs: the first layer's pre-activations (n x width), copied
	// there by the run. Tail graphs: the bound input they start from.
	z1    []float32
	z1Val G.Value // the read target of a score graph

	tail *tailGrads // tail graphs only
}

// graphKind is what buildGraph compiles.
type graphKind int

const (
	// kindForward outputs log-probabilities.
	kindForward graphKind = iota
	// kindScore is kindForward that also keeps the first layer's
	// pre-activations, for a tail graph.
	kindScore
	// kindTrain adds the weighted loss and the parameter gradients;
	// Gorgonia differentiates down to the first layer's pre-activations
	// and tailGrads does the first layer.
	kindTrain
	// kindTail is kindTrain starting from given first-layer
	// pre-activations (see tailGrads).
	kindTail
	// kindTrainFull is kindTrain with every gradient from Gorgonia and the
	// cost written out op by op: the reference the tests hold the others
	// to.
	kindTrainFull
)

// buildForward compiles a forward-only graph of batch size n over m.
func buildForward(m *mlp, n int) (*netGraph, error) {
	return buildGraph(m, n, kindForward, lossSpec{})
}

// buildScore compiles a forward-only graph of batch size n over m that also
// copies the first layer's pre-activations into z1: the first pass of a
// two-pass step.
func buildScore(m *mlp, n int) (*netGraph, error) {
	return buildGraph(m, n, kindScore, lossSpec{})
}

// buildTrain compiles a training graph of batch size n over m: the cost is
// the weighted sum of the per-example losses chosen by ls.
func buildTrain(m *mlp, n int, ls lossSpec) (*netGraph, error) {
	return buildGraph(m, n, kindTrain, ls)
}

// buildTail compiles the second pass of a two-pass step: a training graph
// of batch size n over m that starts from the selected rows' first-layer
// pre-activations, computed by the score graph, instead of recomputing
// them (see tailGrads).
func buildTail(m *mlp, n int, ls lossSpec) (*netGraph, error) {
	return buildGraph(m, n, kindTail, ls)
}

// input makes a float32 input node bound to a fresh dense tensor and returns
// the node and its backing slice.
func input(g *G.ExprGraph, name string, shape ...int) (*G.Node, []float32) {
	size := 1
	for _, s := range shape {
		size *= s
	}
	back := make([]float32, size)
	d := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(back))
	var node *G.Node
	if len(shape) == 1 {
		node = G.NewVector(g, G.Float32, G.WithShape(shape...), G.WithName(name), G.WithValue(d))
	} else {
		node = G.NewMatrix(g, G.Float32, G.WithShape(shape...), G.WithName(name), G.WithValue(d))
	}
	return node, back
}

func buildGraph(m *mlp, n int, kind graphKind, ls lossSpec) (ng *netGraph, err error) {
	defer func() {
		// Gorgonia reports some shape errors by panicking.
		if r := recover(); r != nil {
			ng, err = nil, fmt.Errorf("trainer: building a graph of size %d: %v", n, r)
		}
	}()
	train := kind == kindTrain || kind == kindTail || kind == kindTrainFull
	g := G.NewGraph()
	ng = &netGraph{n: n, train: train, g: g}
	first := 0 // the first layer computed by the graph
	var h *G.Node
	if kind == kindTail {
		first = 1
		h, ng.z1 = input(g, "z1", n, m.dims[1])
		ng.x = make([]float32, n*m.inputs())
	} else {
		h, ng.x = input(g, "x", n, m.inputs())
	}
	for i, p := range m.params[2*first:] {
		i += 2 * first
		name := fmt.Sprintf("w%d", i/2)
		if i%2 == 1 {
			name = fmt.Sprintf("b%d", i/2)
		}
		ng.learn = append(ng.learn, G.NewMatrix(g, G.Float32, G.WithShape(p.Shape()...), G.WithName(name), G.WithValue(p)))
	}
	z1 := h // the node whose gradient is dL/dz1 (tail and train graphs)
	for l := first; l < m.layers(); l++ {
		if l > 0 {
			if m.act == ActTanh {
				h, err = G.Tanh(h)
			} else {
				h, err = G.Rectify(h)
			}
			if err != nil {
				return nil, err
			}
		}
		if h, err = G.Mul(h, ng.learn[2*(l-first)]); err != nil {
			return nil, err
		}
		if h, err = G.BroadcastAdd(h, ng.learn[2*(l-first)+1], nil, []byte{0}); err != nil {
			return nil, err
		}
		if l == 0 && kind == kindTrain {
			// Gorgonia differentiates only with respect to inputs: add an
			// input that stays zero, whose gradient is dL/dz1.
			var zero *G.Node
			zero, _ = input(g, "z1zero", n, m.dims[1])
			if h, err = G.Add(h, zero); err != nil {
				return nil, err
			}
			z1 = zero
		}
		if l == 0 && kind == kindScore {
			// Copy the pre-activations out during the run: the register
			// may be overwritten in place by the activation.
			ng.z1 = make([]float32, n*m.dims[1])
			ng.z1Val = tensor.New(tensor.WithShape(n, m.dims[1]), tensor.WithBacking(ng.z1))
			G.Read(h, &ng.z1Val)
		}
	}
	if ng.logp, err = G.LogSoftMax(h); err != nil {
		return nil, err
	}
	if train {
		if err = ng.addCost(m, ls, kind != kindTrainFull); err != nil {
			return nil, err
		}
		wrt := ng.learn
		switch kind {
		case kindTail:
			wrt = append(wrt[:len(wrt):len(wrt)], z1)
		case kindTrain:
			wrt = append(ng.learn[2:len(ng.learn):len(ng.learn)], z1)
		}
		if ng.grads, err = G.Grad(ng.cost, wrt...); err != nil {
			return nil, err
		}
		// Compile only what a step reads. G.Grad also builds gradients
		// nobody uses (of x: a matmul as large as the first layer's; of
		// onehot and weight); the solver reads the gradients from
		// ng.grads, so no dual values are bound.
		g = g.ExactSubgraphRoots(append(G.Nodes{ng.logp, ng.cost}, ng.grads...)...)
		ng.g = g
		if kind != kindTrainFull {
			ng.tail = newTailGrads(m, n, ng.grads[len(wrt)-1])
			ng.grads = ng.grads[:len(wrt)-1]
		}
	}
	ng.vm = G.NewTapeMachine(g, G.WithEngine(fastEngine{}))
	ng.rw = newRewinder(ng.vm, g)
	return ng, nil
}

// addCost adds the per-example loss and the weighted cost to a training
// graph: ce_i = -sum_c onehot_ic * logp_ic; with focal gamma the loss is
// (sum_{c != y} p_ic)^gamma * ce_i (the modulating factor 1-p_t written so
// that it can never be negative); with alpha, times alpha_i. With fold and
// plain cross-entropy the weights and labels are folded into one target
// matrix instead (see foldTarget).
func (ng *netGraph) addCost(m *mlp, ls lossSpec, fold bool) error {
	g, n, c := ng.g, ng.n, m.classes()
	if fold && ls == (lossSpec{}) {
		// Plain cross-entropy: sum_i w_i * -sum_c y_ic logp_ic is
		// sum(logp ⊙ T) with T_ic = -w_i y_ic, formed by run: two ops
		// (and their gradients) instead of five, which at M=32 cost more
		// than their arithmetic.
		tn, tb := input(g, "target", n, c)
		ng.target = tb
		ng.onehot, ng.weight = make([]float32, n*c), make([]float32, n)
		prod, err := G.HadamardProd(ng.logp, tn)
		if err != nil {
			return err
		}
		ng.cost, err = G.Sum(prod)
		return err
	}
	yn, yb := input(g, "onehot", n, c)
	wn, wb := input(g, "weight", n)
	ng.onehot, ng.weight = yb, wb
	prod, err := G.HadamardProd(ng.logp, yn)
	if err != nil {
		return err
	}
	sum, err := G.Sum(prod, 1)
	if err != nil {
		return err
	}
	loss, err := G.Neg(sum)
	if err != nil {
		return err
	}
	if ls.gamma > 0 {
		p, err := G.Exp(ng.logp)
		if err != nil {
			return err
		}
		one := G.NewConstant(float32(1))
		off, err := G.Sub(one, yn)
		if err != nil {
			return err
		}
		rest, err := G.HadamardProd(p, off)
		if err != nil {
			return err
		}
		q, err := G.Sum(rest, 1)
		if err != nil {
			return err
		}
		mod, err := G.Pow(q, G.NewConstant(float32(ls.gamma)))
		if err != nil {
			return err
		}
		if loss, err = G.HadamardProd(mod, loss); err != nil {
			return err
		}
	}
	if ls.alpha {
		an, ab := input(g, "alpha", n)
		ng.alpha = ab
		if loss, err = G.HadamardProd(an, loss); err != nil {
			return err
		}
	}
	weighted, err := G.HadamardProd(wn, loss)
	if err != nil {
		return err
	}
	ng.cost, err = G.Sum(weighted)
	return err
}

// run executes the graph once. For a forward graph it copies the
// log-probabilities into logp (n*classes); for a training graph it also
// returns the cost and leaves the gradients for the solver. The caller must
// call reset after stepping the solver.
func (ng *netGraph) run(logp []float32) (cost float64, err error) {
	ng.foldTarget()
	if err = ng.vm.RunAll(); err != nil {
		return 0, err
	}
	if logp != nil {
		copy(logp, ng.logp.Value().Data().([]float32))
	}
	if ng.cost != nil {
		switch v := ng.cost.Value().(type) {
		case *G.F32:
			cost = float64(*v)
		default:
			cost = float64(v.Data().(float32))
		}
	}
	return cost, nil
}

// foldTarget sets target from onehot and weight (T_ic = -w_i y_ic) when
// the graph has one.
func (ng *netGraph) foldTarget() {
	if ng.target == nil {
		return
	}
	c := len(ng.target) / ng.n
	for r, w := range ng.weight {
		for j := r * c; j < (r+1)*c; j++ {
			ng.target[j] = -w * ng.onehot[j]
		}
	}
}

// reset readies the machine for the next run, keeping its intermediate
// tensors when it can (see rewinder).
func (ng *netGraph) reset() {
	if ng.rw != nil {
		ng.rw.rewind()
		return
	}
	ng.vm.Reset()
}

// close releases the machine.
func (ng *netGraph) close() {
	if ng.vm != nil {
		ng.vm.Close()
	}
}

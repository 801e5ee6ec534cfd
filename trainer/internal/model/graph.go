package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Loss chooses the per-example loss a training graph differentiates.
type Loss struct {
	Gamma float64 // focal gamma; 0 = plain cross-entropy
	Alpha bool    // multiply by a per-example alpha input
}

// Graph is one compiled Gorgonia graph of fixed batch size n over a
// model's shared parameter tensors. A forward graph outputs log-probabilities;
// a training graph also outputs the weighted loss and the gradients of the
// parameters.
type Graph struct {
	// N is the batch size.
	N     int
	train bool
	g     *G.ExprGraph
	vm    G.VM
	learn G.Nodes // parameter nodes, in MLP.params order

	// Bound inputs: the caller copies a batch into their backing slices
	// (X: N x inputs features; Onehot: N x classes labels; Weight: N
	// per-example weights; Alpha: N focal alphas, nil without).
	// In a tail graph X is not bound: it holds the rows for tailGrads.
	// With plain cross-entropy Onehot and Weight are not bound either: Run
	// folds them into target.
	X, Onehot, Weight, Alpha []float32
	target                   []float32
	logp                     *G.Node     // n x classes log-probabilities
	cost                     *G.Node     // training only: sum_i weight_i * loss_i
	grads                    G.Nodes     // training only: gradients of learn, in order
	rw                       *rewinder   // reruns keeping the registers; nil: Reset
	run                      *syncRunner // runs on the calling goroutine; nil: RunAll

	// Z1 is, in a score graph, the first layer's pre-activations
	// (N x width), copied there by the run; in a tail graph, the bound
	// input it starts from.
	Z1    []float32
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

// BuildForward compiles a forward-only graph of batch size n over m.
func BuildForward(m *MLP, n int) (*Graph, error) {
	return buildGraph(m, n, kindForward, Loss{})
}

// BuildScore compiles a forward-only graph of batch size n over m that also
// copies the first layer's pre-activations into z1: the first pass of a
// two-pass step.
func BuildScore(m *MLP, n int) (*Graph, error) {
	return buildGraph(m, n, kindScore, Loss{})
}

// BuildTrain compiles a training graph of batch size n over m: the cost is
// the weighted sum of the per-example losses chosen by ls.
func BuildTrain(m *MLP, n int, ls Loss) (*Graph, error) {
	return buildGraph(m, n, kindTrain, ls)
}

// BuildTail compiles the second pass of a two-pass step: a training graph
// of batch size n over m that starts from the selected rows' first-layer
// pre-activations, computed by the score graph, instead of recomputing
// them (see tailGrads).
func BuildTail(m *MLP, n int, ls Loss) (*Graph, error) {
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

func buildGraph(m *MLP, n int, kind graphKind, ls Loss) (ng *Graph, err error) {
	defer func() {
		// Gorgonia reports some shape errors by panicking.
		if r := recover(); r != nil {
			ng, err = nil, fmt.Errorf("model: building a graph of size %d: %v", n, r)
		}
	}()
	train := kind == kindTrain || kind == kindTail || kind == kindTrainFull
	// The reference graph keeps Gorgonia's own ops; the others use the
	// fused ones (fused.go), which compute the same values.
	fused := kind != kindTrainFull
	g := G.NewGraph()
	ng = &Graph{N: n, train: train, g: g}
	first := 0 // the first layer computed by the graph
	var h *G.Node
	if kind == kindTail {
		first = 1
		h, ng.Z1 = input(g, "z1", n, m.dims[1])
		ng.X = make([]float32, n*m.Inputs())
	} else {
		h, ng.X = input(g, "x", n, m.Inputs())
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
	for l := first; l < m.Layers(); l++ {
		if l > 0 {
			switch {
			case m.tanh:
				h, err = G.Tanh(h)
			case fused:
				h, err = relu(h)
			default:
				h, err = G.Rectify(h)
			}
			if err != nil {
				return nil, err
			}
		}
		switch {
		case l == 0 && fused:
			// x·W1 + b1 in one op, over the non-zero inputs when the
			// batch is sparse (sparse.go).
			h, err = firstLayer(h, ng.learn[0], ng.learn[1])
		case fused:
			if h, err = G.Mul(h, ng.learn[2*(l-first)]); err != nil {
				return nil, err
			}
			h, err = biasAdd(h, ng.learn[2*(l-first)+1])
		default:
			if h, err = G.Mul(h, ng.learn[2*(l-first)]); err != nil {
				return nil, err
			}
			h, err = G.BroadcastAdd(h, ng.learn[2*(l-first)+1], nil, []byte{0})
		}
		if err != nil {
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
			ng.Z1 = make([]float32, n*m.dims[1])
			ng.z1Val = tensor.New(tensor.WithShape(n, m.dims[1]), tensor.WithBacking(ng.Z1))
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
	if syncRuns {
		ng.run = newSyncRunner(ng.vm)
	}
	return ng, nil
}

// addCost adds the per-example loss and the weighted cost to a training
// graph: ce_i = -sum_c onehot_ic * logp_ic; with focal gamma the loss is
// (sum_{c != y} p_ic)^gamma * ce_i (the modulating factor 1-p_t written so
// that it can never be negative); with alpha, times alpha_i. With fold and
// plain cross-entropy the weights and labels are folded into one target
// matrix instead (see foldTarget).
func (ng *Graph) addCost(m *MLP, ls Loss, fold bool) error {
	g, n, c := ng.g, ng.N, m.Classes()
	if fold && ls == (Loss{}) {
		// Plain cross-entropy: sum_i w_i * -sum_c y_ic logp_ic is
		// sum(logp ⊙ T) with T_ic = -w_i y_ic, formed by run: two ops
		// (and their gradients) instead of five, which at M=32 cost more
		// than their arithmetic.
		tn, tb := input(g, "target", n, c)
		ng.target = tb
		ng.Onehot, ng.Weight = make([]float32, n*c), make([]float32, n)
		var err error
		ng.cost, err = dotCost(ng.logp, tn)
		return err
	}
	yn, yb := input(g, "onehot", n, c)
	wn, wb := input(g, "weight", n)
	ng.Onehot, ng.Weight = yb, wb
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
	if ls.Gamma > 0 {
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
		mod, err := G.Pow(q, G.NewConstant(float32(ls.Gamma)))
		if err != nil {
			return err
		}
		if loss, err = G.HadamardProd(mod, loss); err != nil {
			return err
		}
	}
	if ls.Alpha {
		an, ab := input(g, "alpha", n)
		ng.Alpha = ab
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

// Run executes the graph once. For a forward graph it copies the
// log-probabilities into logp (n*classes); for a training graph it also
// returns the cost and leaves the gradients for the solver. The caller must
// call Reset after stepping the solver.
func (ng *Graph) Run(logp []float32) (cost float64, err error) {
	ng.foldTarget()
	if ng.run != nil {
		// An op that panics stops the program midway; the panic reaches the
		// caller (the step recovers it), and the machine is rewound so that
		// the graph's next run starts from the beginning.
		defer func() {
			if r := recover(); r != nil {
				ng.Reset()
				panic(r)
			}
		}()
		err = ng.run.run()
	} else {
		err = ng.vm.RunAll()
	}
	if err != nil {
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
func (ng *Graph) foldTarget() {
	if ng.target == nil {
		return
	}
	c := len(ng.target) / ng.N
	for r, w := range ng.Weight {
		for j := r * c; j < (r+1)*c; j++ {
			ng.target[j] = -w * ng.Onehot[j]
		}
	}
}

// Reset readies the machine for the next run, keeping its intermediate
// tensors when it can (see rewinder).
func (ng *Graph) Reset() {
	if ng.rw != nil {
		ng.rw.rewind()
		return
	}
	ng.vm.Reset()
}

// Close releases the machine.
func (ng *Graph) Close() {
	if ng.vm != nil {
		ng.vm.Close()
	}
}

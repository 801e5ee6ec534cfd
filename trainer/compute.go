package trainer

// Compute accounting. Every arm counts the training examples it forwards
// and backpropagates and the floating-point work they cost, so that
// strategies can be compared at equal compute, not only at equal backprop.
//
// The convention (the usual one for dense networks): a forward pass of one
// example costs 2·Σ fan_in·fan_out FLOPs over the weight layers (a
// multiply and an add per weight; biases, activations and the loss are
// left out), and a backward pass costs twice its forward pass (the
// gradients of the activations and of the weights). So
//
//	compute_flops = F·examples_forwarded + 2F·examples_backpropagated
//
// with F the forward FLOPs of one example. examples_forwarded counts the
// training forwards the strategy needs: the K examples of every batch for
// the strategies that select from a batch (all, random, topk, ...), the M
// examples drawn from the cache and every example of each pool scan for
// offline. Evaluations on the test set are not counted. The counts describe
// the algorithm, not the execution mode: a two-pass step that recomputes
// the kept examples' forward pass, or a mask step that backpropagates
// zero-weighted examples, does somewhat more arithmetic than this.

// forwardFLOPs returns F, the forward FLOPs of one example through a
// network of layer widths dims (input, hidden..., classes).
func forwardFLOPs(dims []int) int64 {
	var f int64
	for l := 0; l+1 < len(dims); l++ {
		f += 2 * int64(dims[l]) * int64(dims[l+1])
	}
	return f
}

// count adds forwarded examples forwarded and backpropagated ones
// backprop to the arm's tallies and their FLOPs to its compute.
func (a *arm) count(forwarded, backprop int) {
	a.forwarded += int64(forwarded)
	a.backprop += int64(backprop)
	a.flops += a.fwdFLOPs * (int64(forwarded) + 2*int64(backprop))
}

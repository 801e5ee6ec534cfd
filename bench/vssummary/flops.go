package main

// mlpFlops counts the multiply-add FLOPs (2 per term) of one training step
// of a fully connected network with layer widths dims (input first) on a
// batch of k examples keeping m, for a strategy of the comparison:
//
//	plain:   forward and backward on k
//	mask:    forward and backward on k (dropped rows have weight 0)
//	twopass: forward on k, then forward and backward on m
//
// A forward pass on n rows costs 2n·in·out per layer; a backward pass the
// same for the weight gradients plus 2n·in·out for the input gradients of
// every layer but the first. Elementwise work (bias, activation, softmax,
// update) is left out: it is O(n·width), not O(n·width²). It returns 0 for
// an unknown strategy or fewer than two widths.
func mlpFlops(dims []int, strategy string, k, m int) float64 {
	if len(dims) < 2 {
		return 0
	}
	fwd := func(n int) float64 {
		var f float64
		for i := 1; i < len(dims); i++ {
			f += 2 * float64(n) * float64(dims[i-1]) * float64(dims[i])
		}
		return f
	}
	bwd := func(n int) float64 {
		f := fwd(n)
		for i := 2; i < len(dims); i++ {
			f += 2 * float64(n) * float64(dims[i-1]) * float64(dims[i])
		}
		return f
	}
	switch strategy {
	case "plain", "mask":
		return fwd(k) + bwd(k)
	case "twopass":
		return fwd(k) + fwd(m) + bwd(m)
	}
	return 0
}

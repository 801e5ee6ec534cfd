package trainer

// ReachWindow is the number of consecutive evaluations whose mean test
// accuracy decides when a run reaches a target (see Reach).
const ReachWindow = 3

// Reach returns the index of the evaluation at which a run first reaches
// target accuracy, or -1 if it never does. The rule is that one lucky
// evaluation cannot decide it: the run reaches the target at the first
// evaluation i >= ReachWindow-1 at which the mean accuracy of evaluations
// i-ReachWindow+1..i is at least target. The reported step, examples and
// compute are those of evaluation i. accs are the accuracies in step order.
func Reach(accs []float64, target float64) int {
	sum := 0.0
	for i, a := range accs {
		sum += a
		if i >= ReachWindow {
			sum -= accs[i-ReachWindow]
		}
		// The small tolerance keeps a mean of exactly the target (three
		// evaluations of 0.95) from rounding to just below it.
		if i >= ReachWindow-1 && sum/ReachWindow >= target-1e-12 {
			return i
		}
	}
	return -1
}

package ohem_test

import (
	"fmt"
	"math"

	"github.com/ohemlab/ohemlab/ohem"
)

// Classic OHEM: keep the two examples with the highest loss and
// backpropagate the weighted sum of their losses.
func ExampleSelector_Select() {
	sel, err := ohem.New(ohem.Params{Strategy: ohem.TopK, M: 2}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	losses := []float64{0.1, 2.3, 0.4, 1.7, 0.2}
	// Reuse these buffers batch after batch: Select does not allocate
	// when they are large enough.
	idx, w := make([]int, 0, len(losses)), make([]float64, 0, len(losses))
	idx, w, err = sel.Select(idx, w, ohem.Input{Losses: losses})
	if err != nil {
		fmt.Println(err)
		return
	}
	loss := 0.0
	for j, i := range idx {
		loss += w[j] * losses[i]
	}
	fmt.Println("kept", idx, "weights", w, "loss to backprop", loss)

	// A diverged batch is an error, never a silent pick.
	_, _, err = sel.Select(idx, w, ohem.Input{Losses: []float64{0.3, math.NaN(), 0.5}})
	fmt.Println(err)
	// Output:
	// kept [1 3] weights [0.5 0.5] loss to backprop 2
	// ohem: loss 1 of 3 is NaN: losses must be finite
}

// Parameters are validated up front; the error names the field and its
// allowed range. Params reports the defaults in force.
func ExampleNew() {
	_, err := ohem.New(ohem.Params{Strategy: ohem.Threshold, M: 8, Thresh: 1.5}, 1)
	fmt.Println(err)

	sel, _ := ohem.New(ohem.Params{Strategy: ohem.Threshold, M: 8}, 1)
	p := sel.Params()
	fmt.Println(p.Strategy, "thresh", p.Thresh, "min_kept", p.MinKept)
	// Output:
	// ohem: thresh = 1.5 out of range: want 0 < thresh <= 1 (0 means 0.7)
	// threshold thresh 0.7 min_kept 8
}

// Hard negative mining for a detector: keep the positive and the three
// hardest negatives (3:1).
func ExampleSelector_Select_hardNegatives() {
	sel, _ := ohem.New(ohem.Params{Strategy: ohem.HardNeg, M: 4}, 1)
	in := ohem.Input{
		Losses: []float64{0.9, 0.1, 0.8, 0.3, 0.05, 0.7, 0.2},
		Labels: []int{0, 1, 0, 0, 0, 0, 0},
	}
	idx, _, _ := sel.Select(nil, nil, in)
	fmt.Println(idx)
	// Output: [0 1 2 5]
}

// The loss bands of a batch: minimum, 10%, median, 90%, maximum.
func ExampleQuantiles() {
	losses := []float64{0.2, 1.0, 0.4, 0.0, 0.6, 0.8}
	fmt.Printf("%.2f\n", ohem.Quantiles(nil, losses, []float64{0, 0.1, 0.5, 0.9, 1}))
	// Output: [0.00 0.10 0.50 0.90 1.00]
}

func ExampleTopKIndices() {
	fmt.Println(ohem.TopKIndices(nil, []float64{3, 1, 4, 1, 5, 9, 2, 6}, 3))
	// Output: [4 5 7]
}

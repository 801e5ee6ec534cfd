package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// stratifiedSplit splits the examples with labels y (in [0, classes)) into
// a training and a test part, class by class, so that both keep the class
// balance. Each class with at least two examples puts round(testFrac*n),
// but at least one and at most n-1, into the test part. Both parts come back
// shuffled.
func stratifiedSplit(y []int32, classes int, testFrac float64, r *rand.Rand) (train, test []int, err error) {
	byClass := make([][]int, classes)
	for i, c := range y {
		byClass[c] = append(byClass[c], i)
	}
	for _, idx := range byClass {
		n := len(idx)
		if n == 0 {
			continue
		}
		nt := int(math.Round(testFrac * float64(n)))
		if nt < 1 && n >= 2 {
			nt = 1
		}
		if nt > n-1 {
			nt = n - 1
		}
		r.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		test = append(test, idx[:nt]...)
		train = append(train, idx[nt:]...)
	}
	if len(test) == 0 {
		return nil, nil, fmt.Errorf("too few examples for a test split: every class has a single example")
	}
	r.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	r.Shuffle(len(test), func(i, j int) { test[i], test[j] = test[j], test[i] })
	return train, test, nil
}

// gather copies the rows idx of x (dim features each) and their labels.
func gather(x []float32, y []int32, dim int, idx []int) ([]float32, []int32) {
	gx := make([]float32, 0, len(idx)*dim)
	gy := make([]int32, len(idx))
	for k, i := range idx {
		gx = append(gx, x[i*dim:(i+1)*dim]...)
		gy[k] = y[i]
	}
	return gx, gy
}

// squareBounds returns xmin, xmax, ymin, ymax of a square around the 2-D
// points xy (x0, y0, x1, y1, ...), padded by 10% of its side.
func squareBounds(xy ...[]float32) [4]float64 {
	xmin, ymin := math.Inf(1), math.Inf(1)
	xmax, ymax := math.Inf(-1), math.Inf(-1)
	for _, p := range xy {
		for i := 0; i+1 < len(p); i += 2 {
			x, y := float64(p[i]), float64(p[i+1])
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	if math.IsInf(xmin, 0) {
		return [4]float64{-1, 1, -1, 1}
	}
	half := math.Max(xmax-xmin, ymax-ymin) / 2
	if half < 1e-6 {
		half = 1
	}
	half *= 1.1
	cx, cy := (xmin+xmax)/2, (ymin+ymax)/2
	return [4]float64{cx - half, cx + half, cy - half, cy + half}
}

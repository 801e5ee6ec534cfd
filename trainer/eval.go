package trainer

import (
	"math"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// Evaluation sizes.
const (
	evalChunk   = 1000 // test examples per forward run
	surfaceSize = 64   // decision surface grid is surfaceSize x surfaceSize
	surfChunk   = 1024 // grid points per forward run
)

// forwardRows runs the arm's forward graph over rows examples (dim features
// each, written by fill(dst, first, n) for rows first..first+n-1) in chunks
// of at most chunk and calls fn with each chunk's first row and
// log-probabilities. The last chunk is padded with zeros; fn only sees real
// rows.
func (a *arm) forwardRows(fill func(dst []float32, first, n int), rows, dim, classes, chunk int, fn func(first int, logp []float32)) error {
	n := min(chunk, rows)
	if n == 0 {
		return nil
	}
	g, err := a.forward(n)
	if err != nil {
		return err
	}
	logp := make([]float32, n*classes)
	for first := 0; first < rows; first += n {
		cnt := min(n, rows-first)
		fill(g.X[:cnt*dim], first, cnt)
		clear(g.X[cnt*dim:])
		_, err := g.Run(logp)
		g.Reset()
		if err != nil {
			return err
		}
		fn(first, logp[:cnt*classes])
	}
	return nil
}

// evaluate measures the arm on the test set: mean cross-entropy, accuracy,
// per-class accuracy and the confusion matrix, and for 2-D sets the
// decision surface of P(class 1) over the set's bounds. TrainLoss is the
// mean batch loss since the previous evaluation, which it restarts.
func (a *arm) evaluate(set *data.Set, step, version int64) (*EvalEvent, error) {
	c := set.Classes
	conf := make([][]int, c)
	for i := range conf {
		conf[i] = make([]int, c)
	}
	lossSum := 0.0
	err := a.forwardRows(set.TestRowsTo, set.NumTest(), set.Dim, c, evalChunk, func(first int, logp []float32) {
		for r := 0; r*c < len(logp); r++ {
			row := logp[r*c : (r+1)*c]
			y := int(set.TestY[first+r])
			best := 0
			for j := 1; j < c; j++ {
				if row[j] > row[best] {
					best = j
				}
			}
			conf[y][best]++
			lossSum -= float64(row[y])
		}
	})
	if err != nil {
		return nil, err
	}
	ev := &EvalEvent{
		Arm:              a.idx,
		Step:             step,
		Version:          version,
		ExamplesBackprop: a.backprop,
		ExamplesForward:  a.forwarded,
		ComputeFLOPs:     a.flops,
		WallSeconds:      a.wall,
		PerClass:         make([]float64, c),
		Confusion:        conf,
	}
	right := 0
	for y := range conf {
		n := 0
		for _, v := range conf[y] {
			n += v
		}
		right += conf[y][y]
		if n > 0 {
			ev.PerClass[y] = float64(conf[y][y]) / float64(n)
		}
	}
	if n := set.NumTest(); n > 0 {
		ev.TestLoss = lossSum / float64(n)
		ev.TestAccuracy = float64(right) / float64(n)
	}
	if a.lossN > 0 {
		ev.TrainLoss = a.lossSum / float64(a.lossN)
	}
	a.lossSum, a.lossN = 0, 0
	if set.Dim == 2 && c >= 2 {
		if ev.Surface, err = a.surface(set.Bounds, c); err != nil {
			return nil, err
		}
	}
	if math.IsNaN(ev.TestLoss) || math.IsInf(ev.TestLoss, 0) {
		// Keep the event JSON-encodable; divergence is reported by the step.
		ev.TestLoss = math.MaxFloat32
	}
	a.lastEval = ev
	return ev, nil
}

// surface computes P(class 1) at the centres of a surfaceSize^2 grid over
// bounds (xmin, xmax, ymin, ymax), row 0 at ymin.
func (a *arm) surface(bounds [4]float64, classes int) (*Surface, error) {
	w, h := surfaceSize, surfaceSize
	s := &Surface{W: w, H: h, XMin: bounds[0], XMax: bounds[1], YMin: bounds[2], YMax: bounds[3], Prob: make([]float32, w*h)}
	x := make([]float32, 2*w*h)
	dx := (s.XMax - s.XMin) / float64(w)
	dy := (s.YMax - s.YMin) / float64(h)
	for r := 0; r < h; r++ {
		for col := 0; col < w; col++ {
			i := r*w + col
			x[2*i] = float32(s.XMin + (float64(col)+0.5)*dx)
			x[2*i+1] = float32(s.YMin + (float64(r)+0.5)*dy)
		}
	}
	fill := func(dst []float32, first, n int) { copy(dst, x[2*first:2*(first+n)]) }
	err := a.forwardRows(fill, w*h, 2, classes, surfChunk, func(first int, logp []float32) {
		for r := 0; r*classes < len(logp); r++ {
			s.Prob[first+r] = float32(math.Exp(float64(logp[r*classes+1])))
		}
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

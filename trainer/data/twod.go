package data

import (
	"math"
	"math/rand/v2"
)

// point2D draws one point of class cls (0 or 1) of the named 2-D set; i of
// n is its rank within its class (used by spiral). Coordinates are on a
// unit scale; noise is added by the caller except for gauss.
type point2D func(r *rand.Rand, cls, i, n int, noise float64) (x, y float64)

var generators = map[string]point2D{
	Circle: circlePoint,
	XOR:    xorPoint,
	Gauss:  gaussPoint,
	Spiral: spiralPoint,
	Moons:  moonsPoint,
}

// circlePoint: positives in the disc of radius 0.5, negatives in the ring
// from 0.7 to 1.
func circlePoint(r *rand.Rand, cls, _, _ int, _ float64) (float64, float64) {
	rad := 0.5 * r.Float64()
	if cls == 0 {
		rad = 0.7 + 0.3*r.Float64()
	}
	a := 2 * math.Pi * r.Float64()
	return rad * math.Cos(a), rad * math.Sin(a)
}

// xorPoint: uniform in [-1, 1]^2 away from the axes; positives where x and
// y have the same sign.
func xorPoint(r *rand.Rand, cls, _, _ int, _ float64) (float64, float64) {
	const pad = 0.05
	x := pad + (1-pad)*r.Float64()
	y := pad + (1-pad)*r.Float64()
	if r.IntN(2) == 1 {
		x = -x
	}
	if (cls == 1) != (x > 0) {
		y = -y
	}
	return x, y
}

// gaussPoint: positives around (0.5, 0.5), negatives around (-0.5, -0.5),
// with standard deviation noise.
func gaussPoint(r *rand.Rand, cls, _, _ int, noise float64) (float64, float64) {
	c := 0.5
	if cls == 0 {
		c = -0.5
	}
	return c + noise*r.NormFloat64(), c + noise*r.NormFloat64()
}

// spiralPoint: two interleaved spirals of 1.75 turns from the centre to
// radius 1, the negative one turned by half a turn.
func spiralPoint(_ *rand.Rand, cls, i, n int, _ float64) (float64, float64) {
	t := float64(i) / float64(n)
	a := 1.75*2*math.Pi*t + math.Pi*float64(1-cls)
	return t * math.Sin(a), t * math.Cos(a)
}

// moonsPoint: the negative upper half circle and the positive lower one
// shifted into it, centred on the origin.
func moonsPoint(r *rand.Rand, cls, _, _ int, _ float64) (float64, float64) {
	a := math.Pi * r.Float64()
	if cls == 0 {
		return math.Cos(a) - 0.5, math.Sin(a) - 0.25
	}
	return 1 - math.Cos(a) - 0.5, 0.5 - math.Sin(a) - 0.25
}

// make2D builds a defaulted, validated 2-D teaching set.
func make2D(c Config, seed int64) (*Set, error) {
	gen := generators[c.Name]
	r := newRand(seed, streamPoints)
	npos := classCount(c.Size, c.PosFrac)
	counts := [2]int{c.Size - npos, npos}
	xy := make([]float32, 0, 2*c.Size)
	y := make([]int32, 0, c.Size)
	jitter := c.Name != Gauss
	for cls, n := range counts {
		for i := 0; i < n; i++ {
			px, py := gen(r, cls, i, n, c.Noise)
			if jitter {
				px += c.Noise * r.NormFloat64()
				py += c.Noise * r.NormFloat64()
			}
			xy = append(xy, float32(px), float32(py))
			y = append(y, int32(cls))
		}
	}
	train, test, err := stratifiedSplit(y, 2, c.TestFrac, newRand(seed, streamSplit))
	if err != nil {
		return nil, err
	}
	s := &Set{Name: c.Name, Classes: 2, Dim: 2, ClassNames: []string{"0", "1"}}
	s.TrainX, s.TrainY = gather(xy, y, 2, train)
	s.TestX, s.TestY = gather(xy, y, 2, test)
	s.Bounds = squareBounds(xy)
	return s, nil
}

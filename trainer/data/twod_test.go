package data

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func countLabels(y []int32, classes int) []int {
	n := make([]int, classes)
	for _, c := range y {
		n[c]++
	}
	return n
}

func Test2DSets(t *testing.T) {
	tests := []struct {
		cfg              Config
		train, test, pos int // expected sizes and positives overall
	}{
		{Config{Name: Circle}, 800, 200, 500},
		{Config{Name: XOR, Size: 500, TestFrac: 0.1}, 450, 50, 250},
		{Config{Name: Gauss, Size: 2000, PosFrac: 0.1}, 1600, 400, 200},
		{Config{Name: Spiral, Size: 21, PosFrac: 1.0 / 21 * 2}, 16, 5, 2},
		{Config{Name: Moons, Size: 1000, PosFrac: 0.25, TestFrac: 0.5, Noise: 0.3}, 500, 500, 250},
		{Config{Name: Circle, Size: MaxSize}, 160000, 40000, 100000},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Name, func(t *testing.T) {
			s, err := Load(tt.cfg, 7)
			if err != nil {
				t.Fatal(err)
			}
			if s.NumTrain() != tt.train || s.NumTest() != tt.test {
				t.Fatalf("train/test = %d/%d, want %d/%d", s.NumTrain(), s.NumTest(), tt.train, tt.test)
			}
			if s.Dim != 2 || s.Classes != 2 || len(s.TrainX) != 2*tt.train || len(s.TestX) != 2*tt.test || !slices.Equal(s.ClassNames, []string{"0", "1"}) {
				t.Fatalf("shape: dim %d classes %d names %v", s.Dim, s.Classes, s.ClassNames)
			}
			tr, te := countLabels(s.TrainY, 2), countLabels(s.TestY, 2)
			if tr[1]+te[1] != tt.pos {
				t.Errorf("positives = %d, want %d", tr[1]+te[1], tt.pos)
			}
			// Stratified: the test part keeps the balance within one example.
			wantTestPos := float64(tt.pos) * float64(tt.test) / float64(tt.train+tt.test)
			if math.Abs(float64(te[1])-wantTestPos) > 1.5 {
				t.Errorf("test positives = %d, want about %.1f", te[1], wantTestPos)
			}
			b := s.Bounds
			if !(b[0] < b[1] && b[2] < b[3]) {
				t.Fatalf("bounds %v", b)
			}
			for _, x := range [][]float32{s.TrainX, s.TestX} {
				for i := 0; i < len(x); i += 2 {
					if float64(x[i]) <= b[0] || float64(x[i]) >= b[1] || float64(x[i+1]) <= b[2] || float64(x[i+1]) >= b[3] {
						t.Fatalf("point (%v, %v) outside bounds %v", x[i], x[i+1], b)
					}
				}
			}
			if !slices.Equal(s.CleanY, s.TrainY) || slices.Contains(s.Flipped, true) || len(s.Flipped) != s.NumTrain() {
				t.Error("labels changed without label noise")
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	for _, name := range append(slices.Clone(Names[2:]), MNISTDetect) {
		t.Run(name, func(t *testing.T) {
			if name == MNISTDetect {
				skipWithoutMNIST(t)
			}
			cfg := Config{Name: name, LabelNoise: 0.2}
			if name == MNISTDetect {
				cfg.PosFrac = 0.5 // a smaller set: faster
			}
			a, err := Load(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Load(cfg, 1)
			c, _ := Load(cfg, 2)
			if !sameSet(a, b) {
				t.Error("same seed gave different sets")
			}
			if (slices.Equal(a.TrainX, c.TrainX) && slices.Equal(a.TrainPix, c.TrainPix)) || slices.Equal(a.Flipped, c.Flipped) {
				t.Error("another seed gave the same points or flips")
			}
			// Label noise has its own random stream: the points stay.
			clean, _ := Load(Config{Name: name, PosFrac: cfg.PosFrac}, 1)
			if !slices.Equal(clean.TrainX, a.TrainX) || !slices.Equal(clean.TrainPix, a.TrainPix) || !slices.Equal(clean.TrainY, a.CleanY) || !slices.Equal(clean.TestY, a.TestY) {
				t.Error("label noise moved the points or changed clean labels")
			}
		})
	}
}

func sameSet(a, b *Set) bool {
	return a.Name == b.Name && a.Classes == b.Classes && a.Dim == b.Dim && a.Bounds == b.Bounds &&
		slices.Equal(a.TrainX, b.TrainX) && slices.Equal(a.TrainY, b.TrainY) &&
		slices.Equal(a.CleanY, b.CleanY) && slices.Equal(a.Flipped, b.Flipped) &&
		slices.Equal(a.TestX, b.TestX) && slices.Equal(a.TestY, b.TestY) &&
		slices.Equal(a.TrainPix, b.TrainPix) && slices.Equal(a.TestPix, b.TestPix) &&
		slices.Equal(a.ClassNames, b.ClassNames)
}

// TestNoiseParameter checks that Noise widens each set's spread.
func TestNoiseParameter(t *testing.T) {
	for _, name := range Names[2:] {
		lo, err := Load(Config{Name: name, Noise: 0.01}, 3)
		if err != nil {
			t.Fatal(err)
		}
		hi, _ := Load(Config{Name: name, Noise: 0.5}, 3)
		if spread(hi) <= spread(lo) {
			t.Errorf("%s: spread with noise 0.5 (%v) not above noise 0.01 (%v)", name, spread(hi), spread(lo))
		}
	}
}

// spread is the mean distance of the points from their class mean.
func spread(s *Set) float64 {
	var mx, my, n [2]float64
	for i, c := range s.TrainY {
		mx[c] += float64(s.TrainX[2*i])
		my[c] += float64(s.TrainX[2*i+1])
		n[c]++
	}
	d := 0.0
	for i, c := range s.TrainY {
		d += math.Hypot(float64(s.TrainX[2*i])-mx[c]/n[c], float64(s.TrainX[2*i+1])-my[c]/n[c])
	}
	return d / float64(len(s.TrainY))
}

// TestSeparable checks the shape of each noise-free set: a simple rule of
// the set's geometry classifies (almost) every point.
func TestSeparable(t *testing.T) {
	rules := map[string]func(x, y float64) int32{
		Circle: func(x, y float64) int32 { return b2i(math.Hypot(x, y) < 0.6) },
		XOR:    func(x, y float64) int32 { return b2i(x*y > 0) },
		Gauss:  func(x, y float64) int32 { return b2i(x+y > 0) },
		Moons: func(x, y float64) int32 {
			// The outer (negative) moon is the upper half of the unit
			// circle around (-0.5, -0.25).
			onOuter := math.Abs(math.Hypot(x+0.5, y+0.25)-1) < 0.01 && y > -0.26
			return b2i(!onOuter)
		},
	}
	for name, rule := range rules {
		s, err := Load(Config{Name: name, Noise: 1e-4}, 5)
		if err != nil {
			t.Fatal(err)
		}
		wrong := 0
		for i, c := range s.TrainY {
			if rule(float64(s.TrainX[2*i]), float64(s.TrainX[2*i+1])) != c {
				wrong++
			}
		}
		if wrong > s.NumTrain()/100 {
			t.Errorf("%s: %d of %d points break the rule", name, wrong, s.NumTrain())
		}
	}
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// golden2D is a small, fixed summary of a 2-D set for the golden files:
// it pins the generators so that shared links keep reproducing.
type golden2D struct {
	Train  []float32  `json:"train_head"`
	Labels []int32    `json:"labels_head"`
	Test   []float32  `json:"test_head"`
	Bounds [4]float64 `json:"bounds"`
}

func TestGolden2D(t *testing.T) {
	for _, name := range Names[2:] {
		t.Run(name, func(t *testing.T) {
			s, err := Load(Config{Name: name, Size: 40, LabelNoise: 0.1}, 42)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(golden2D{s.TrainX[:10], s.TrainY[:5], s.TestX[:4], s.Bounds}, "", "  ")
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the golden file %s:\n%s\nwant\n%s", name, path, got, want)
			}
		})
	}
}

package data

import (
	"math"
	"slices"
	"testing"
)

func TestLabelNoise(t *testing.T) {
	tests := []struct {
		cfg     Config
		flipped int
	}{
		{Config{Name: Circle, LabelNoise: 0.1}, 80},
		{Config{Name: XOR, Size: 1000, TestFrac: 0.5, LabelNoise: 0.333}, 167},
		{Config{Name: Moons, LabelNoise: 0.9}, 720},
		{Config{Name: Spiral, LabelNoise: 0.0001}, 0},
		{Config{Name: MNIST, LabelNoise: 0.25}, 15000},
		{Config{Name: MNISTDetect, PosFrac: 0.4, LabelNoise: 0.05}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Name, func(t *testing.T) {
			if kindOf(tt.cfg.Name) != kind2D {
				skipWithoutMNIST(t)
			}
			s, err := Load(tt.cfg, 11)
			if err != nil {
				t.Fatal(err)
			}
			clean, err := Load(Config{Name: tt.cfg.Name, Size: tt.cfg.Size, TestFrac: tt.cfg.TestFrac, PosFrac: tt.cfg.PosFrac}, 11)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.flipped
			if want < 0 {
				want = int(math.Round(tt.cfg.LabelNoise * float64(s.NumTrain())))
			}
			n := 0
			for i, f := range s.Flipped {
				if f != (s.TrainY[i] != s.CleanY[i]) {
					t.Fatalf("example %d: Flipped %v but label %d, clean %d", i, f, s.TrainY[i], s.CleanY[i])
				}
				if f {
					n++
				}
				if s.TrainY[i] < 0 || int(s.TrainY[i]) >= s.Classes {
					t.Fatalf("example %d: label %d out of range", i, s.TrainY[i])
				}
			}
			if n != want {
				t.Errorf("flipped %d, want exactly %d", n, want)
			}
			if got := s.FlippedFrac(); math.Abs(got-float64(want)/float64(s.NumTrain())) > 1e-12 {
				t.Errorf("FlippedFrac = %v", got)
			}
			if !slices.Equal(s.CleanY, clean.TrainY) {
				t.Error("CleanY differs from the noise-free labels")
			}
			if !slices.Equal(s.TestY, clean.TestY) {
				t.Error("test labels changed")
			}
		})
	}
}

// TestLabelNoiseUniform checks that a flipped label goes to every other
// class about equally often, never to its own.
func TestLabelNoiseUniform(t *testing.T) {
	const n, classes = 90000, 4
	s := &Set{Classes: classes, TrainY: make([]int32, n)}
	for i := range s.TrainY {
		s.TrainY[i] = int32(i % classes)
	}
	applyLabelNoise(s, 0.5, 3)
	var moves [classes][classes]int
	for i, f := range s.Flipped {
		if f {
			moves[s.CleanY[i]][s.TrainY[i]]++
		}
	}
	for from := range moves {
		for to, k := range moves[from] {
			switch {
			case from == to && k != 0:
				t.Errorf("%d labels flipped to themselves", k)
			case from != to && math.Abs(float64(k)-n/2/classes/(classes-1)) > 200:
				t.Errorf("%d -> %d: %d flips, want about %d", from, to, k, n/2/classes/(classes-1))
			}
		}
	}
}

package data

import (
	"math"
	"strings"
	"testing"
)

func intp(i int) *int { return &i }

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" means valid
	}{
		{"mnist", Config{Name: MNIST}, ""},
		{"detect", Config{Name: MNISTDetect, PosDigit: intp(0), PosFrac: 0.3}, ""},
		{"circle defaults", Config{Name: Circle}, ""},
		{"moons full", Config{Name: Moons, Size: 500, Noise: 0.2, PosFrac: 0.1, TestFrac: 0.5, LabelNoise: 0.3}, ""},
		{"csv", Config{Name: "csv:some/file.csv"}, ""},
		{"empty name", Config{}, "data.name: missing"},
		{"unknown name", Config{Name: "cifar"}, `data.name: unknown dataset "cifar"`},
		{"csv no path", Config{Name: "csv:"}, "has no file path"},
		{"size small", Config{Name: XOR, Size: 5}, "data.size: 5 is out of range [20, 200000]"},
		{"size big", Config{Name: XOR, Size: MaxSize + 1}, "data.size: 200001 is out of range"},
		{"size negative", Config{Name: XOR, Size: -1}, "data.size: -1"},
		{"noise negative", Config{Name: Gauss, Noise: -0.1}, "data.noise: -0.1 is out of range [0, 2]"},
		{"noise NaN", Config{Name: Gauss, Noise: math.NaN()}, "data.noise: NaN"},
		{"noise big", Config{Name: Gauss, Noise: 3}, "data.noise: 3"},
		{"posfrac one", Config{Name: Spiral, PosFrac: 1}, "data.pos_frac: 1 is out of range (0, 1)"},
		{"posfrac negative", Config{Name: Spiral, PosFrac: -0.5}, "data.pos_frac: -0.5"},
		{"posfrac too few", Config{Name: Spiral, Size: 20, PosFrac: 0.01}, "leaves 0 positives and 20 negatives"},
		{"digit", Config{Name: MNISTDetect, PosDigit: intp(10)}, "data.pos_digit: 10 is out of range [0, 9]"},
		{"testfrac", Config{Name: Circle, TestFrac: 0.95}, "data.test_frac: 0.95 is out of range (0, 0.9]"},
		{"testfrac inf", Config{Name: Circle, TestFrac: math.Inf(1)}, "data.test_frac: +Inf"},
		{"labelnoise", Config{Name: Circle, LabelNoise: 0.91}, "data.label_noise: 0.91 is out of range [0, 0.9]"},
		{"labelnoise negative", Config{Name: MNIST, LabelNoise: -0.01}, "data.label_noise: -0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.want)
			}
			if tt.want != "" {
				if _, lerr := Load(tt.cfg, 1); lerr == nil || lerr.Error() != err.Error() {
					t.Errorf("Load error = %v, want the Validate error %v", lerr, err)
				}
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		in, want Config
	}{
		{Config{Name: Circle}, Config{Name: Circle, Size: DefaultSize, Noise: DefaultNoise[Circle], PosFrac: 0.5, TestFrac: 0.2}},
		{Config{Name: Gauss, Size: 300, Noise: 0.5}, Config{Name: Gauss, Size: 300, Noise: 0.5, PosFrac: 0.5, TestFrac: 0.2}},
		{Config{Name: MNIST, LabelNoise: 0.2}, Config{Name: MNIST, LabelNoise: 0.2}},
		{Config{Name: MNISTDetect}, Config{Name: MNISTDetect, PosFrac: DefaultDetectPosFrac, PosDigit: intp(3)}},
		{Config{Name: MNISTDetect, PosDigit: intp(7)}, Config{Name: MNISTDetect, PosFrac: DefaultDetectPosFrac, PosDigit: intp(7)}},
		{Config{Name: "csv:a.csv"}, Config{Name: "csv:a.csv", TestFrac: 0.2}},
	}
	for _, tt := range tests {
		got := tt.in.WithDefaults()
		if !sameConfig(got, tt.want) {
			t.Errorf("%+v.WithDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("defaults of %s do not validate: %v", tt.in.Name, err)
		}
		if again := got.WithDefaults(); !sameConfig(again, got) {
			t.Errorf("WithDefaults is not idempotent for %s", tt.in.Name)
		}
	}
}

func sameConfig(a, b Config) bool {
	if (a.PosDigit == nil) != (b.PosDigit == nil) || (a.PosDigit != nil && *a.PosDigit != *b.PosDigit) {
		return false
	}
	a.PosDigit, b.PosDigit = nil, nil
	return a == b
}

func TestNamesAreValid(t *testing.T) {
	for _, n := range Names {
		if err := (Config{Name: n}).Validate(); err != nil {
			t.Errorf("listed name %q does not validate: %v", n, err)
		}
	}
	if p, ok := (Config{Name: "csv:x/y.csv"}).CSVPath(); !ok || p != "x/y.csv" {
		t.Errorf("CSVPath = %q, %v", p, ok)
	}
	if _, ok := (Config{Name: Circle}).CSVPath(); ok {
		t.Error("circle reported as csv")
	}
}

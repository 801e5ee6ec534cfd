package data

import (
	"fmt"
	"math"
	"strings"
)

// Defaults and limits of Config.
const (
	// DefaultSize is the default number of points of a 2-D set.
	DefaultSize = 1000
	// MinSize is the smallest allowed 2-D set.
	MinSize = 20
	// MaxSize is the largest allowed 2-D set.
	MaxSize = 200000
	// MaxNoise is the largest allowed 2-D noise.
	MaxNoise = 2.0
	// DefaultPosFrac is the default share of positives of a 2-D set.
	DefaultPosFrac = 0.5
	// DefaultDetectPosFrac is mnist-detect's default share of positives:
	// one positive per twenty negatives.
	DefaultDetectPosFrac = 1.0 / 21
	// DefaultPosDigit is mnist-detect's default positive digit.
	DefaultPosDigit = 3
	// DefaultTestFrac is the default test share of 2-D and CSV sets.
	DefaultTestFrac = 0.2
	// MaxTestFrac is the largest allowed test share.
	MaxTestFrac = 0.9
	// MaxLabelNoise is the largest allowed share of flipped labels.
	MaxLabelNoise = 0.9
)

// DefaultNoise is each 2-D set's default noise.
var DefaultNoise = map[string]float64{
	Circle: 0.05,
	XOR:    0.05,
	Gauss:  0.25,
	Spiral: 0.04,
	Moons:  0.1,
}

// kind classifies a dataset name.
type kind int

const (
	kindUnknown kind = iota
	kindMNIST
	kindDetect
	kind2D
	kindCSV
)

func kindOf(name string) kind {
	switch {
	case name == MNIST:
		return kindMNIST
	case name == MNISTDetect:
		return kindDetect
	case strings.HasPrefix(name, CSVPrefix):
		return kindCSV
	}
	if _, ok := DefaultNoise[name]; ok {
		return kind2D
	}
	return kindUnknown
}

// Is2D reports whether c names one of the generated 2-D teaching sets.
func (c Config) Is2D() bool { return kindOf(c.Name) == kind2D }

// CSVPath returns the file path of a csv:PATH dataset and whether c is one.
func (c Config) CSVPath() (string, bool) {
	if kindOf(c.Name) != kindCSV {
		return "", false
	}
	return strings.TrimPrefix(c.Name, CSVPrefix), true
}

// WithDefaults returns c with every zero optional field that applies to its
// dataset set to its default. Fields that do not apply are left as they are
// (Load ignores them).
func (c Config) WithDefaults() Config {
	switch kindOf(c.Name) {
	case kind2D:
		if c.Size == 0 {
			c.Size = DefaultSize
		}
		if c.Noise == 0 {
			c.Noise = DefaultNoise[c.Name]
		}
		if c.PosFrac == 0 {
			c.PosFrac = DefaultPosFrac
		}
		if c.TestFrac == 0 {
			c.TestFrac = DefaultTestFrac
		}
	case kindDetect:
		if c.PosFrac == 0 {
			c.PosFrac = DefaultDetectPosFrac
		}
		if c.PosDigit == nil {
			d := DefaultPosDigit
			c.PosDigit = &d
		}
	case kindCSV:
		if c.TestFrac == 0 {
			c.TestFrac = DefaultTestFrac
		}
	}
	return c
}

// Validate checks c and returns an error naming the first bad field and
// its allowed range. Zero optional fields are valid (they mean the
// default); Validate does not fill them in.
func (c Config) Validate() error {
	k := kindOf(c.Name)
	switch {
	case c.Name == "":
		return fmt.Errorf("data.name: missing: want one of %s or %sPATH", strings.Join(Names, ", "), CSVPrefix)
	case k == kindUnknown:
		return fmt.Errorf("data.name: unknown dataset %q: want one of %s or %sPATH", c.Name, strings.Join(Names, ", "), CSVPrefix)
	case k == kindCSV && c.Name == CSVPrefix:
		return fmt.Errorf("data.name: %q has no file path: want %sPATH", c.Name, CSVPrefix)
	}
	if c.Size != 0 && (c.Size < MinSize || c.Size > MaxSize) {
		return fmt.Errorf("data.size: %d is out of range [%d, %d]", c.Size, MinSize, MaxSize)
	}
	if bad(c.Noise) || c.Noise < 0 || c.Noise > MaxNoise {
		return fmt.Errorf("data.noise: %v is out of range [0, %v]", c.Noise, MaxNoise)
	}
	if bad(c.PosFrac) || c.PosFrac < 0 || c.PosFrac >= 1 {
		return fmt.Errorf("data.pos_frac: %v is out of range (0, 1) (0 means the default)", c.PosFrac)
	}
	if c.PosDigit != nil && (*c.PosDigit < 0 || *c.PosDigit > 9) {
		return fmt.Errorf("data.pos_digit: %d is out of range [0, 9]", *c.PosDigit)
	}
	if bad(c.TestFrac) || c.TestFrac < 0 || c.TestFrac > MaxTestFrac {
		return fmt.Errorf("data.test_frac: %v is out of range (0, %v] (0 means the default %v)", c.TestFrac, MaxTestFrac, DefaultTestFrac)
	}
	if bad(c.LabelNoise) || c.LabelNoise < 0 || c.LabelNoise > MaxLabelNoise {
		return fmt.Errorf("data.label_noise: %v is out of range [0, %v]", c.LabelNoise, MaxLabelNoise)
	}
	if pos, neg, ok := c.ClassCounts(); ok && (pos < 2 || neg < 2) {
		d := c.WithDefaults()
		return fmt.Errorf("data.pos_frac: %v of size %d leaves %d positives and %d negatives: need at least 2 of each", d.PosFrac, d.Size, pos, neg)
	}
	return nil
}

// ClassCounts returns the number of positives and negatives of a 2-D set
// after defaults, and ok false for the other datasets.
func (c Config) ClassCounts() (pos, neg int, ok bool) {
	if kindOf(c.Name) != kind2D {
		return 0, 0, false
	}
	d := c.WithDefaults()
	pos = classCount(d.Size, d.PosFrac)
	return pos, d.Size - pos, true
}

// bad reports whether v is NaN or infinite.
func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// classCount is the number of positives among n at fraction f.
func classCount(n int, f float64) int { return int(math.Round(f * float64(n))) }

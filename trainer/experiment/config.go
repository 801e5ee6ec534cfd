// Package experiment is the one definition of an OHEM Lab experiment: its
// Config, the live Change, the defaults, and the field table (fields.go)
// from which every layer derives its view of a field: the command line's
// flags and help, the shareable link's keys, the control messages' keys,
// the page's inputs and the labels of config changes. Validate and Apply
// return *FieldError values naming the field, the value and what is
// accepted, which each layer renders in its own form.
//
// It is pure Go: no Gorgonia and no other project package but ohem and
// trainer/data.
package experiment

import (
	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// Limits of Config.
const (
	// MaxK is the largest batch size (it must also fit the training set).
	MaxK = 65536
	// MaxArms is the number of arms trained side by side at most.
	MaxArms = 2
	// MaxLayers is the largest number of hidden layers.
	MaxLayers = 8
	// MaxWidth is the widest hidden layer.
	MaxWidth = 4096
	// MaxLR is the largest learning rate accepted.
	MaxLR = 100.0
	// MaxGamma is the largest focal gamma.
	MaxGamma = 10.0
	// MaxSpeedCap is the largest speed cap in steps per second.
	MaxSpeedCap = 10000.0
	// MaxEvalEvery is the longest evaluation interval in steps.
	MaxEvalEvery = 1000000
	// MaxNameLen is the longest arm name in bytes.
	MaxNameLen = 64
	// MaxLabel is the largest class label hardneg may count as positive.
	MaxLabel = 65535
	// MaxSeed bounds the seed's magnitude: 2^53-1, the largest integer a
	// page (a JavaScript number) holds exactly.
	MaxSeed = 1<<53 - 1
)

// Config is a whole experiment: everything needed to reproduce a run with
// the same seed. It is what a shareable link encodes.
type Config struct {
	// Data chooses and shapes the dataset. Changing it is a reset.
	Data data.Config `json:"data"`
	// Model chooses the network and optimiser. Changing it is a reset.
	Model ModelConfig `json:"model"`
	// K is the batch size every arm sees (arms share one data stream).
	K int `json:"k"`
	// Arms are the arms trained side by side on identical batches; one or two.
	Arms []ArmConfig `json:"arms"`
	// Seed seeds data generation, label noise, batch order, weight init and
	// the selectors. Changing it is a reset.
	Seed int64 `json:"seed"`
	// EvalEvery is the number of steps between evaluations (default 100).
	EvalEvery int `json:"eval_every,omitempty"`
	// SpeedCap limits training to this many steps per second (0 = no cap).
	SpeedCap float64 `json:"speed_cap,omitempty"`
}

// ModelConfig chooses the network and optimiser.
type ModelConfig struct {
	// Hidden are the widths of the hidden layers (default [256] for MNIST,
	// [16,16] for 2-D sets).
	Hidden []int `json:"hidden,omitempty"`
	// Activation is relu or tanh (default relu).
	Activation string `json:"activation,omitempty"`
	// Optimizer is sgd (with Momentum) or adam (default sgd).
	Optimizer string `json:"optimizer,omitempty"`
	// Momentum is SGD's momentum (default 0).
	Momentum float64 `json:"momentum,omitempty"`
}

// ArmConfig is what may differ between arms; all of it changes live.
type ArmConfig struct {
	// Name labels the arm in charts and reports (default: the strategy).
	Name string `json:"name,omitempty"`
	// Select is the selection strategy and its parameters.
	Select ohem.Params `json:"select"`
	// LR is the learning rate.
	LR float64 `json:"lr"`
	// Exec is twopass (default) or mask.
	Exec string `json:"exec,omitempty"`
	// FocalGamma > 0 turns on focal loss with this gamma (2 is usual).
	FocalGamma float64 `json:"focal_gamma,omitempty"`
	// FocalAlpha, if > 0, weights class 1 by alpha and others by 1-alpha.
	FocalAlpha float64 `json:"focal_alpha,omitempty"`
}

// Change is a live change from a viewer or the CLI. Nil fields are left as
// they are. It applies between two batches (see Apply). Its JSON keys are
// the Keys of the table's Live rows, plus arm.
type Change struct {
	// Arm is the arm the arm fields apply to (default 0).
	Arm        int      `json:"arm,omitempty"`
	K          *int     `json:"k,omitempty"`
	M          *int     `json:"m,omitempty"`
	Ratio      *float64 `json:"ratio,omitempty"`
	Strategy   *string  `json:"strategy,omitempty"`
	Thresh     *float64 `json:"thresh,omitempty"`
	MinKept    *int     `json:"min_kept,omitempty"`
	NegPos     *float64 `json:"neg_pos,omitempty"`
	MinNeg     *int     `json:"min_neg,omitempty"`
	Beta       *float64 `json:"beta,omitempty"`
	Refresh    *int     `json:"refresh,omitempty"`
	Pool       *int     `json:"pool,omitempty"`
	Hard       *int     `json:"hard,omitempty"`
	LR         *float64 `json:"lr,omitempty"`
	Exec       *string  `json:"exec,omitempty"`
	FocalGamma *float64 `json:"focal_gamma,omitempty"`
	FocalAlpha *float64 `json:"focal_alpha,omitempty"`
	SpeedCap   *float64 `json:"speed_cap,omitempty"`
	EvalEvery  *int     `json:"eval_every,omitempty"`
}

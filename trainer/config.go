package trainer

import "github.com/ohemlab/ohemlab/trainer/experiment"

// The experiment's types are defined once, in package experiment; these
// names let the trainer's callers keep writing trainer.Config.
type (
	// Config is experiment.Config.
	Config = experiment.Config
	// ModelConfig is experiment.ModelConfig.
	ModelConfig = experiment.ModelConfig
	// ArmConfig is experiment.ArmConfig.
	ArmConfig = experiment.ArmConfig
	// Change is experiment.Change.
	Change = experiment.Change
)

// Names the trainer's code switches on, from package experiment.
const (
	OptSGD      = experiment.OptSGD
	OptAdam     = experiment.OptAdam
	ExecTwoPass = experiment.ExecTwoPass
	ExecMask    = experiment.ExecMask
	ActReLU     = experiment.ActReLU
	ActTanh     = experiment.ActTanh
)

// DefaultConfig is experiment.Default: the default experiment of a dataset.
func DefaultConfig(dataset string) Config { return experiment.Default(dataset) }

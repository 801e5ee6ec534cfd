package trainer

import (
	"errors"
	"fmt"
	"math"
	"strings"
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
)

// Validate checks cfg and returns an error naming the field and its allowed
// range. It does not fill defaults, so zero optional fields are accepted
// only where zero means "default". K is checked against the training set
// size by New, Reset and Apply, which know the data.
func (c Config) Validate() error {
	if err := c.Data.Validate(); err != nil {
		return err
	}
	if err := c.Model.validate(); err != nil {
		return err
	}
	if c.K < 0 || c.K > MaxK {
		return fmt.Errorf("k = %d out of range: want 1 <= k <= %d and at most the training set size", c.K, MaxK)
	}
	if len(c.Arms) > MaxArms {
		return fmt.Errorf("arms: %d arms: want 1 or 2", len(c.Arms))
	}
	for i, a := range c.Arms {
		if err := a.validate(i, c.K); err != nil {
			return err
		}
	}
	if c.EvalEvery < 0 || c.EvalEvery > MaxEvalEvery {
		return fmt.Errorf("eval_every = %d out of range: want 1 <= eval_every <= %d (0 means %d)", c.EvalEvery, MaxEvalEvery, DefaultEvalEvery)
	}
	return validSpeedCap(c.SpeedCap)
}

func validSpeedCap(v float64) error {
	if !finite(v) || v < 0 || v > MaxSpeedCap {
		return fmt.Errorf("speed_cap = %v out of range: want 0 <= speed_cap <= %v steps/s (0 = no cap)", v, MaxSpeedCap)
	}
	return nil
}

func (m ModelConfig) validate() error {
	if len(m.Hidden) > MaxLayers {
		return fmt.Errorf("model.hidden: %d layers: want 1 to %d", len(m.Hidden), MaxLayers)
	}
	for i, w := range m.Hidden {
		if w < 1 || w > MaxWidth {
			return fmt.Errorf("model.hidden[%d] = %d out of range: want 1 <= width <= %d", i, w, MaxWidth)
		}
	}
	switch m.Activation {
	case "", ActReLU, ActTanh:
	default:
		return fmt.Errorf("model.activation: unknown %q: want relu or tanh", m.Activation)
	}
	switch m.Optimizer {
	case "", OptSGD, OptAdam:
	default:
		return fmt.Errorf("model.optimizer: unknown %q: want sgd or adam", m.Optimizer)
	}
	if !finite(m.Momentum) || m.Momentum < 0 || m.Momentum >= 1 {
		return fmt.Errorf("model.momentum = %v out of range: want 0 <= momentum < 1", m.Momentum)
	}
	return nil
}

// validate checks arm i against batch size k (0: not yet defaulted).
func (a ArmConfig) validate(i, k int) error {
	field := func(name string) string { return fmt.Sprintf("arms[%d].%s", i, name) }
	if len(a.Name) > MaxNameLen {
		return fmt.Errorf("%s: %d bytes: want at most %d", field("name"), len(a.Name), MaxNameLen)
	}
	if a.Select.Strategy != "" || a.Select.M != 0 {
		if err := a.Select.Validate(); err != nil {
			return selectErr(i, err)
		}
		if k > 0 {
			if err := a.Select.CheckK(k); err != nil {
				return selectErr(i, err)
			}
		}
	}
	if err := validLR(a.LR, true); err != nil {
		return errors.New(field(err.Error()))
	}
	switch a.Exec {
	case "", ExecTwoPass, ExecMask:
	default:
		return fmt.Errorf("%s: unknown %q: want twopass or mask", field("exec"), a.Exec)
	}
	if !finite(a.FocalGamma) || a.FocalGamma < 0 || a.FocalGamma > MaxGamma {
		return fmt.Errorf("%s = %v out of range: want 0 <= focal_gamma <= %v (0 = plain cross-entropy)", field("focal_gamma"), a.FocalGamma, MaxGamma)
	}
	if !finite(a.FocalAlpha) || a.FocalAlpha < 0 || a.FocalAlpha >= 1 {
		return fmt.Errorf("%s = %v out of range: want 0 <= focal_alpha < 1 (0 = off)", field("focal_alpha"), a.FocalAlpha)
	}
	return nil
}

// selectErr rewrites an ohem parameter error of arm i so that it names the
// config field: "ohem: m = 9 out of range..." becomes "arms[0].m = 9 out of
// range...".
func selectErr(i int, err error) error {
	msg := strings.TrimPrefix(err.Error(), "ohem: ")
	if strings.HasPrefix(msg, "unknown strategy") {
		return fmt.Errorf("arms[%d].strategy: %s", i, msg)
	}
	name, _, _ := strings.Cut(msg, " ")
	switch name {
	case "m", "thresh", "min_kept", "neg_pos", "min_neg", "beta", "history", "positive", "refresh", "pool", "hard":
		return fmt.Errorf("arms[%d].%s", i, msg)
	}
	return fmt.Errorf("arms[%d].select: %s", i, msg)
}

// validLR checks a learning rate; zeroOK accepts 0 (meaning the default).
func validLR(lr float64, zeroOK bool) error {
	if zeroOK && lr == 0 {
		return nil
	}
	if !finite(lr) || lr <= 0 || lr > MaxLR {
		return fmt.Errorf("lr = %v out of range: want a finite 0 < lr <= %v", lr, MaxLR)
	}
	return nil
}

// checkData checks the parts of a defaulted config that depend on the
// loaded training set size n.
func (c Config) checkData(n int) error {
	if c.K < 1 || c.K > n {
		return fmt.Errorf("k = %d out of range: want 1 <= k <= %d (the training set size)", c.K, min(n, MaxK))
	}
	if len(c.Arms) < 1 {
		return errors.New("arms: none: want 1 or 2")
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

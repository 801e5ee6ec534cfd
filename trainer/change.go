package trainer

import (
	"fmt"
	"math"
	"strings"

	"github.com/ohemlab/ohemlab/ohem"
)

// applyChange returns cfg with ch applied (M = max(1, floor(ratio*K)) when
// only Ratio is given; M wins when both are), validated against a training
// set of numTrain examples, and the names of the fields whose values
// changed. cfg is not modified; on error nothing is returned.
func applyChange(cfg Config, ch Change, numTrain int) (Config, []string, error) {
	if ch.Arm < 0 || ch.Arm >= len(cfg.Arms) {
		return Config{}, nil, fmt.Errorf("arm = %d out of range: want 0 <= arm <= %d", ch.Arm, len(cfg.Arms)-1)
	}
	next := cfg.clone()
	a := &next.Arms[ch.Arm]
	field := func(name string) string { return fmt.Sprintf("arms[%d].%s", ch.Arm, name) }
	if ch.K != nil {
		if *ch.K < 1 || *ch.K > min(numTrain, MaxK) {
			return Config{}, nil, fmt.Errorf("k = %d out of range: want 1 <= k <= %d (the training set size)", *ch.K, min(numTrain, MaxK))
		}
		next.K = *ch.K
	}
	if ch.Ratio != nil {
		r := *ch.Ratio
		if !finite(r) || r <= 0 || r > 1 {
			return Config{}, nil, fmt.Errorf("ratio = %v out of range: want 0 < ratio <= 1", r)
		}
		if ch.M == nil {
			a.Select.M = max(1, int(r*float64(next.K)))
		}
	}
	if ch.M != nil {
		if *ch.M < 1 || *ch.M > next.K {
			return Config{}, nil, fmt.Errorf("%s = %d out of range: want 1 <= m <= k = %d", field("m"), *ch.M, next.K)
		}
		a.Select.M = *ch.M
	}
	if ch.Strategy != nil {
		s := *ch.Strategy
		if !validStrategyName(s) {
			return Config{}, nil, fmt.Errorf("%s: unknown %q: want one of %s", field("strategy"), s, strings.Join(ohem.Strategies, ", "))
		}
		if a.Name == a.Select.Strategy {
			a.Name = s // the default name follows the strategy
		}
		a.Select.Strategy = s
	}
	if ch.Thresh != nil {
		a.Select.Thresh = *ch.Thresh
	}
	if ch.MinKept != nil {
		a.Select.MinKept = *ch.MinKept
	}
	if ch.NegPos != nil {
		a.Select.NegPos = *ch.NegPos
	}
	if ch.MinNeg != nil {
		a.Select.MinNeg = *ch.MinNeg
	}
	if ch.Beta != nil {
		a.Select.Beta = *ch.Beta
	}
	if ch.Refresh != nil {
		a.Select.Refresh = *ch.Refresh
	}
	if ch.Pool != nil {
		a.Select.Pool = *ch.Pool
	}
	if ch.Hard != nil {
		a.Select.Hard = *ch.Hard
	}
	if ch.LR != nil {
		if err := validLR(*ch.LR, false); err != nil {
			return Config{}, nil, fmt.Errorf("%s", field(err.Error()))
		}
		a.LR = *ch.LR
	}
	if ch.Exec != nil {
		if *ch.Exec != ExecTwoPass && *ch.Exec != ExecMask {
			return Config{}, nil, fmt.Errorf("%s: unknown %q: want twopass or mask", field("exec"), *ch.Exec)
		}
		a.Exec = *ch.Exec
	}
	if ch.FocalGamma != nil {
		a.FocalGamma = *ch.FocalGamma
	}
	if ch.FocalAlpha != nil {
		a.FocalAlpha = *ch.FocalAlpha
	}
	if ch.SpeedCap != nil {
		next.SpeedCap = *ch.SpeedCap
	}
	if ch.EvalEvery != nil {
		if *ch.EvalEvery < 1 || *ch.EvalEvery > MaxEvalEvery {
			return Config{}, nil, fmt.Errorf("eval_every = %d out of range: want 1 <= eval_every <= %d", *ch.EvalEvery, MaxEvalEvery)
		}
		next.EvalEvery = *ch.EvalEvery
	}
	if err := next.Validate(); err != nil {
		return Config{}, nil, err
	}
	if err := next.checkData(numTrain); err != nil {
		return Config{}, nil, err
	}
	return next, changedFields(cfg, next), nil
}

func validStrategyName(s string) bool {
	for _, v := range ohem.Strategies {
		if v == s {
			return true
		}
	}
	return false
}

// changedFields lists the JSON names of the live fields that differ
// between two configs of the same shape: "k", "speed_cap", "eval_every" and
// "arms[i].<field>".
func changedFields(a, b Config) []string {
	out := []string{}
	if a.K != b.K {
		out = append(out, "k")
	}
	if a.SpeedCap != b.SpeedCap {
		out = append(out, "speed_cap")
	}
	if a.EvalEvery != b.EvalEvery {
		out = append(out, "eval_every")
	}
	for i := range b.Arms {
		x, y := a.Arms[i], b.Arms[i]
		add := func(name string, differ bool) {
			if differ {
				out = append(out, fmt.Sprintf("arms[%d].%s", i, name))
			}
		}
		add("name", x.Name != y.Name)
		add("strategy", x.Select.Strategy != y.Select.Strategy)
		add("m", x.Select.M != y.Select.M)
		add("thresh", x.Select.Thresh != y.Select.Thresh)
		add("min_kept", x.Select.MinKept != y.Select.MinKept)
		add("neg_pos", x.Select.NegPos != y.Select.NegPos)
		add("min_neg", x.Select.MinNeg != y.Select.MinNeg)
		add("beta", x.Select.Beta != y.Select.Beta)
		add("refresh", x.Select.Refresh != y.Select.Refresh)
		add("pool", x.Select.Pool != y.Select.Pool)
		add("hard", x.Select.Hard != y.Select.Hard)
		add("lr", x.LR != y.LR && !(math.IsNaN(x.LR) && math.IsNaN(y.LR)))
		add("exec", x.Exec != y.Exec)
		add("focal_gamma", x.FocalGamma != y.FocalGamma)
		add("focal_alpha", x.FocalAlpha != y.FocalAlpha)
	}
	return out
}

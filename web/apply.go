package web

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// Limits the server enforces on live changes before the trainer sees them:
// the trainer's own, so that a message names the same range whichever layer
// refuses it. The trainer validates the rest (the arm count, strategy
// parameters).
const (
	MaxBatch    = trainer.MaxK
	MaxLR       = trainer.MaxLR
	MaxEvalStep = trainer.MaxEvalEvery
)

// Exec modes accepted by set.
var execModes = []string{"twopass", "mask"}

// controlError is a rejected control message: its HTTP status and the
// message sent to the client.
type controlError struct {
	status int
	msg    string
}

func (e *controlError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &controlError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// statusOf returns the HTTP status for an error of applyControl.
func statusOf(err error) int {
	var ce *controlError
	if errors.As(err, &ce) {
		return ce.status
	}
	return http.StatusBadRequest
}

// applyControl authorises c (control is whether the sender already holds
// control; remote is its address, for the wrong-token throttle), checks it
// against the current run and hands it to the trainer. It returns the config
// version in force afterwards. On error nothing has changed. A wrong token
// gets exactly the answer of a missing one.
func (s *Server) applyControl(c Control, control bool, remote string) (int64, error) {
	if !control && !s.tokenFrom(c.Token, remote) {
		return 0, &controlError{status: http.StatusForbidden, msg: "read-only viewer: controlling training needs the control token"}
	}
	e := s.trainer
	switch c.Type {
	case MsgSet:
		if err := checkChange(c.Change, e.State()); err != nil {
			return 0, err
		}
		ev, err := e.Apply(c.Change)
		if err != nil {
			return 0, badRequest("set: %v", err)
		}
		if ev != nil {
			return ev.Version, nil
		}
	case MsgPause:
		e.Pause()
	case MsgResume:
		if err := e.Resume(); err != nil {
			return 0, badRequest("resume: %v", err)
		}
	case MsgStep:
		if err := e.StepOnce(); err != nil {
			return 0, badRequest("step: %v", err)
		}
	case MsgEval:
		e.RequestEval()
	case MsgReset:
		cfg := e.State().Config
		if c.Config != nil {
			cfg = *c.Config
			cfg.Data.Name = s.privateName(cfg.Data.Name)
			if err := s.checkDataName(cfg.Data.Name); err != nil {
				return 0, err
			}
		}
		if err := e.Reset(cfg); err != nil {
			return 0, badRequest("reset: %v", err)
		}
	case MsgSpeed:
		v := c.StepsPerS
		if _, err := e.Apply(trainer.Change{SpeedCap: &v}); err != nil {
			return 0, badRequest("speed: %v", err)
		}
	default:
		return 0, badRequest("unknown message type %q", clip(c.Type))
	}
	return e.State().Version, nil
}

// checkDataName rejects datasets a client may not choose: CSV files other
// than the ones uploaded to this server (no reading arbitrary paths).
func (s *Server) checkDataName(name string) error {
	path, ok := strings.CutPrefix(name, data.CSVPrefix)
	if !ok {
		return nil
	}
	if s.opts.UploadDir == "" {
		return badRequest("reset: dataset %q: CSV files can only be used through POST /api/upload, which this server does not offer", clip(name))
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if filepath.Clean(dir) != filepath.Clean(s.opts.UploadDir) || !uploadName.MatchString(base) {
		return badRequest("reset: dataset %q: only files uploaded with POST /api/upload can be used", clip(name))
	}
	return nil
}

// checkChange rejects absurd values and M > K before the trainer sees a
// change, with a message naming the field.
func checkChange(ch trainer.Change, st trainer.State) error {
	if ch.Arm < 0 || (len(st.Config.Arms) > 0 && ch.Arm >= len(st.Config.Arms)) {
		return badRequest("set: arm = %d does not exist: this run has %d arm(s), numbered from 0", ch.Arm, max(1, len(st.Config.Arms)))
	}
	intIn := func(name string, p *int, lo, hi int) error {
		if p != nil && (*p < lo || *p > hi) {
			return badRequest("set: %s = %d is out of range: want %d to %d", name, *p, lo, hi)
		}
		return nil
	}
	numIn := func(name string, p *float64, lo, hi float64, openLo bool) error {
		if p == nil {
			return nil
		}
		if *p < lo || *p > hi || (openLo && *p == lo) {
			br := "["
			if openLo {
				br = "("
			}
			return badRequest("set: %s = %g is out of range: want %s%g, %g]", name, *p, br, lo, hi)
		}
		return nil
	}
	numTrain := st.Dataset.NumTrain
	kMax := MaxBatch
	if numTrain > 0 {
		kMax = min(kMax, numTrain)
	}
	if ch.K != nil && numTrain > 0 && *ch.K > numTrain {
		return badRequest("set: k = %d is larger than the training set (%d examples)", *ch.K, numTrain)
	}
	for _, err := range []error{
		intIn("k", ch.K, 1, kMax),
		intIn("m", ch.M, 1, MaxBatch),
		numIn("ratio", ch.Ratio, 0, 1, true),
		numIn("thresh", ch.Thresh, 0, 1, true),
		intIn("min_kept", ch.MinKept, 0, MaxBatch),
		numIn("neg_pos", ch.NegPos, 0, ohem.MaxNegPos, true),
		intIn("min_neg", ch.MinNeg, 0, MaxBatch),
		numIn("beta", ch.Beta, 0, ohem.MaxBeta, false),
		intIn("refresh", ch.Refresh, 0, ohem.MaxRefresh),
		intIn("pool", ch.Pool, 0, ohem.MaxPool),
		intIn("hard", ch.Hard, 0, ohem.MaxPool),
		numIn("lr", ch.LR, 0, MaxLR, true),
		numIn("focal_gamma", ch.FocalGamma, 0, 100, false),
		numIn("focal_alpha", ch.FocalAlpha, 0, 1, false),
		numIn("speed_cap", ch.SpeedCap, 0, MaxStepsPerSecond, false),
		intIn("eval_every", ch.EvalEvery, 1, MaxEvalStep),
	} {
		if err != nil {
			return err
		}
	}
	if ch.Strategy != nil && !slices.Contains(ohem.Strategies, *ch.Strategy) {
		return badRequest("set: unknown strategy %q: want one of %s", clip(*ch.Strategy), strings.Join(ohem.Strategies, ", "))
	}
	if ch.Exec != nil && !slices.Contains(execModes, *ch.Exec) {
		return badRequest("set: unknown exec %q: want twopass or mask", clip(*ch.Exec))
	}
	if ch.M != nil && ch.Ratio != nil {
		return badRequest("set: give m or ratio, not both")
	}
	k := st.Config.K
	if ch.K != nil {
		k = *ch.K
	}
	if ch.M != nil && k > 0 && *ch.M > k {
		return badRequest("set: m = %d exceeds k = %d: OHEM keeps at most the whole batch", *ch.M, k)
	}
	return nil
}

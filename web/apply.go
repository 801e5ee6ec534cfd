package web

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// controlError is a rejected control message: its HTTP status and the
// message sent to the client.
type controlError struct {
	status int
	msg    string
	field  *experiment.FieldError // the field it concerns, if any
}

func (e *controlError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &controlError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// refused is a 400 for an error of the trainer, keeping the field it
// names: "set: M (kept) must be ...".
func refused(what string, err error) error {
	return &controlError{status: http.StatusBadRequest, msg: what + ": " + err.Error(), field: experiment.AsFieldError(err)}
}

// errorBodyOf is the JSON error of a control message: the message, the
// request id and, when the error concerns one field, its Key and arm.
func errorBodyOf(err error, id string) errorBody {
	b := errorBody{Error: err.Error(), ID: id}
	fe := experiment.AsFieldError(err)
	var ce *controlError
	if errors.As(err, &ce) && ce.field != nil {
		fe = ce.field
	}
	if fe != nil {
		b.Field = fe.Field
		if fe.Arm >= 0 {
			arm := fe.Arm
			b.Arm = &arm
		}
	}
	return b
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
		// The table's rules, on the config in force: a bad change never
		// reaches the trainer (which checks again, on its own config).
		st := e.State()
		numTrain := st.Dataset.NumTrain
		if numTrain <= 0 {
			numTrain = experiment.MaxK
		}
		if _, _, err := experiment.Apply(st.Config, c.Change, numTrain); err != nil {
			return 0, refused("set", err)
		}
		ev, err := e.Apply(c.Change)
		if err != nil {
			return 0, refused("set", err)
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
			ce := refused("reset", err).(*controlError)
			ce.msg = s.redactPaths(ce.msg)
			return 0, ce
		}
	case MsgSpeed:
		v := c.StepsPerS
		if _, err := e.Apply(trainer.Change{SpeedCap: &v}); err != nil {
			return 0, refused("speed", err)
		}
	default:
		return 0, badRequest("unknown message type %q", clip(c.Type))
	}
	return e.State().Version, nil
}

// checkDataName rejects datasets a client may not choose: CSV files other
// than the ones uploaded to this server (no reading arbitrary paths).
func (s *Server) checkDataName(name string) error {
	if !strings.HasPrefix(name, data.CSVPrefix) {
		return nil
	}
	if s.opts.UploadDir == "" {
		return badRequest("reset: dataset %q: CSV files can only be used through POST /api/upload, which this server does not offer", clip(name))
	}
	if _, ok := s.uploadedFile(name); !ok {
		return badRequest("reset: dataset %q: only files uploaded with POST /api/upload can be used", clip(name))
	}
	if _, err := os.Stat(strings.TrimPrefix(name, data.CSVPrefix)); err != nil {
		return badRequest("reset: dataset %q: this server has no such upload (uploads no saved run uses are deleted): upload the file again", s.publicName(name))
	}
	return nil
}

package trainer

import (
	"errors"
	"reflect"

	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// ErrStopped is returned by controls after Run has returned.
var ErrStopped = errors.New("trainer: stopped")

// poke wakes the training goroutine without blocking.
func (t *Trainer) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Apply validates a live change and applies it at the next batch. On error
// nothing changes. A change that changes nothing returns the current
// version with an empty Changed list and is not published.
func (t *Trainer) Apply(ch Change) (*ConfigEvent, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.set == nil {
		return nil, ErrLoading
	}
	next, changed, err := experiment.Apply(t.cfg, ch, t.set.NumTrain())
	if err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return &ConfigEvent{Version: t.version, Step: t.step + 1, Config: t.cfg.Clone(), Changed: changed, Diff: []experiment.FieldChange{}}, nil
	}
	diff := experiment.Diff(t.cfg, next)
	t.cfg = next
	t.version++
	ev := &ConfigEvent{Version: t.version, Step: t.step + 1, Config: next.Clone(), Changed: changed, Diff: diff}
	t.events = append(t.events, ev)
	t.poke()
	out := *ev
	out.Config = next.Clone()
	out.Changed = append([]string(nil), changed...)
	out.Diff = append([]experiment.FieldChange(nil), diff...)
	return &out, nil
}

// Reset validates cfg and restarts training from scratch with it (new data,
// model, weights). On error nothing changes. The dataset is reloaded only
// when its config or the seed changed. A diverged run becomes running (or
// stays paused if the user paused it).
func (t *Trainer) Reset(cfg Config) error {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	t.mu.Lock()
	old, oldSet := t.cfg, t.set
	t.mu.Unlock()
	set := oldSet
	if set == nil || !reflect.DeepEqual(old.Data, cfg.Data) || old.Seed != cfg.Seed {
		var err error
		if set, err = data.Load(cfg.Data, cfg.Seed); err != nil {
			return err
		}
	}
	sess, err := newSession(cfg, set, 0)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil && t.cur != t.loopSess {
		t.cur.close() // built by an earlier Reset, never run
	}
	t.version++
	sess.version = t.version
	t.cur = sess
	t.cfg = cfg
	t.set = set
	t.generation++
	t.diverged = false
	t.reason = ""
	t.stepReq = 0
	t.step = 0
	t.arms = armStates(cfg)
	t.events = append(t.events, &ConfigEvent{Version: t.version, Step: 1, Config: cfg.Clone(), Changed: resetFields(old, cfg), Diff: experiment.Diff(old, cfg), Reset: true})
	t.poke()
	return nil
}

// resetFields names the top-level fields that differ between two configs,
// with arm fields in detail when the arm count is the same.
func resetFields(a, b Config) []string {
	out := []string{}
	if !reflect.DeepEqual(a.Data, b.Data) {
		out = append(out, "data")
	}
	if !reflect.DeepEqual(a.Model, b.Model) {
		out = append(out, "model")
	}
	if a.Seed != b.Seed {
		out = append(out, "seed")
	}
	if len(a.Arms) != len(b.Arms) {
		out = append(out, "arms")
		if a.K != b.K {
			out = append(out, "k")
		}
		return out
	}
	return append(out, experiment.Changed(a, b)...)
}

// Pause pauses training after the current batch.
func (t *Trainer) Pause() {
	t.mu.Lock()
	t.paused = true
	t.mu.Unlock()
	t.poke()
}

// Resume resumes a paused or diverged run.
func (t *Trainer) Resume() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return ErrStopped
	}
	t.paused = false
	t.diverged = false
	t.reason = ""
	t.poke()
	return nil
}

// StepOnce runs exactly one batch while paused (or diverged).
func (t *Trainer) StepOnce() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return ErrStopped
	}
	if !t.paused && !t.diverged {
		return errors.New("trainer: single step needs a paused run: pause first")
	}
	t.stepReq++
	t.poke()
	return nil
}

// RequestEval asks for an evaluation after the current batch.
func (t *Trainer) RequestEval() {
	t.mu.Lock()
	t.evalReq = true
	t.mu.Unlock()
	t.poke()
}

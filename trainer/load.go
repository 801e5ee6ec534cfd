package trainer

import (
	"errors"
	"fmt"

	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// ErrLoading is returned by the controls and queries that need the dataset
// while a trainer made with Options.LoadInRun is still loading it.
var ErrLoading = errors.New("the dataset is still loading: try again in a moment")

// load loads the dataset of the config in force and builds the first
// session, unless a Reset has already installed one. A trainer made with
// LoadInRun announces the loaded run with a reset config event, so that
// viewers and the run store start it as after any reset.
func (t *Trainer) load() error {
	t.mu.Lock()
	if t.cur != nil {
		t.mu.Unlock()
		return nil
	}
	cfg, version := t.cfg, t.version
	t.mu.Unlock()

	set, err := data.Load(cfg.Data, cfg.Seed)
	if err != nil {
		return err
	}
	sess, err := newSession(cfg, set, version)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil { // a Reset came first and loaded its own
		sess.close()
		return nil
	}
	t.cur, t.set = sess, set
	t.generation++
	if t.opt.LoadInRun {
		// A new version: what viewers were told while loading (no data) is
		// not the run's state, and a client that compares versions must
		// see that it changed.
		t.version++
		sess.version = t.version
		t.events = append(t.events, &ConfigEvent{Version: t.version, Step: 1, Config: t.cfg.Clone(), Changed: []string{}, Diff: []experiment.FieldChange{}, Reset: true})
	}
	return nil
}

// loadInRun is Run's first job for a LoadInRun trainer: on failure the
// reason is kept for State and Run returns it.
func (t *Trainer) loadInRun() error {
	err := t.load()
	if err == nil {
		return nil
	}
	t.mu.Lock()
	t.reason = fmt.Sprintf("loading the dataset failed: %v", err)
	t.mu.Unlock()
	return fmt.Errorf("loading the dataset: %w", err)
}

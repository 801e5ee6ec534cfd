package web

import (
	"image"
	"io"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/web/store"
)

// Trainer is what the server needs of the training loop: exactly the
// methods it calls, so that tests can use fakes and an outside training
// process (trainer/external) can stand in. The server sees configs, state,
// events and per-example statistics, never the training data itself:
// thumbnails come from ExampleImage, 2-D points with the batch events and
// Example. All methods must be safe for concurrent use.
type Trainer interface {
	// Apply validates a live change and applies it at the next batch.
	Apply(ch trainer.Change) (*trainer.ConfigEvent, error)
	// Reset restarts training from scratch with cfg.
	Reset(cfg trainer.Config) error
	// Pause pauses training after the current batch.
	Pause()
	// Resume resumes a paused or diverged run.
	Resume() error
	// StepOnce runs exactly one batch while paused.
	StepOnce() error
	// RequestEval asks for an evaluation after the current batch.
	RequestEval()
	// State returns a snapshot of the trainer.
	State() trainer.State
	// DataMap returns up to max examples' statistics of arm.
	DataMap(arm, max int) (trainer.DataMap, error)
	// Example returns one training example's statistics for arm (with its
	// features when there are few, e.g. a 2-D point).
	Example(arm int, id int) (trainer.ExampleStats, error)
	// ExampleImage returns training example id's image (image datasets).
	ExampleImage(id int) (image.Image, error)
}

// *trainer.Trainer is the production Trainer.
var _ Trainer = (*trainer.Trainer)(nil)

// RunStore is the saved-runs store the /api/runs routes serve;
// *store.Store satisfies it. Ids and names reaching it have passed
// store.ParseID and store.ValidateName. Errors wrapping store.ErrNotFound
// become 404, store.ErrActive 409, others 500.
type RunStore interface {
	// List returns the saved runs, newest first.
	List() ([]store.RunInfo, error)
	// Get returns everything saved about one run.
	Get(id int64) (*store.Run, error)
	// Delete removes one run.
	Delete(id int64) error
	// Rename sets a run's name.
	Rename(id int64, name string) error
}

// RunPinner is optionally implemented by a RunStore whose runs can be
// pinned (POST /api/runs/{id}/pin): a pinned run is never deleted to keep
// the store within its limits.
type RunPinner interface {
	Pin(id int64, pinned bool) error
}

// RunPruneReporter is optionally implemented by a RunStore that deletes
// old runs to stay within its limits: the page says what it deleted, and
// uploads no kept run uses are deleted.
type RunPruneReporter interface {
	Pruned() store.PruneReport
	// DataNames lists the datasets (data.name) of the kept runs.
	DataNames() ([]string, error)
}

// RunJSONExporter is optionally implemented by a RunStore that exports a
// run as one JSON document (GET /api/runs/{id}/export.json); without it the
// route serves Get's result.
type RunJSONExporter interface {
	ExportJSON(w io.Writer, id int64) error
}

// RunCSVExporter is optionally implemented by a RunStore that exports a
// run's metrics as CSV (GET /api/runs/{id}/export.csv).
type RunCSVExporter interface {
	ExportCSV(w io.Writer, id int64) error
}

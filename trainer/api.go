package trainer

// API CONTRACT (written first so that web/ and cmd/ can be built in
// parallel). The engine work replaces every stub body below with the real
// implementation and may move the methods into files of their own, but keeps
// these names and signatures (adding methods and fields is fine).

import (
	"context"
	"errors"

	"github.com/ohemlab/ohemlab/trainer/data"
)

var errNotYet = errors.New("trainer: not implemented yet")

// Options are the trainer's run-time options that are not part of the
// experiment config.
type Options struct {
	// Sink receives events; nil discards them.
	Sink Sink
	// MaxSteps stops Run after this many steps (0 = run until ctx is done).
	MaxSteps int64
	// Paused starts the trainer paused.
	Paused bool
}

// State is a snapshot of the trainer for /api/state and new viewers.
type State struct {
	Config  Config      `json:"config"`
	Version int64       `json:"version"`
	Status  string      `json:"status"` // one of the State* constants
	Reason  string      `json:"reason,omitempty"`
	Step    int64       `json:"step"`
	Arms    []ArmState  `json:"arms"`
	Dataset DatasetInfo `json:"dataset"`
}

// ArmState is one arm's progress.
type ArmState struct {
	Name             string     `json:"name"`
	Step             int64      `json:"step"`
	ExamplesSeen     int64      `json:"examples_seen"`
	ExamplesBackprop int64      `json:"examples_backprop"`
	WallSeconds      float64    `json:"wall_seconds"`
	LastEval         *EvalEvent `json:"last_eval,omitempty"`
}

// DatasetInfo describes the loaded dataset for viewers.
type DatasetInfo struct {
	Name        string     `json:"name"`
	Classes     int        `json:"classes"`
	ClassNames  []string   `json:"class_names"`
	Dim         int        `json:"dim"`
	ImageW      int        `json:"image_w,omitempty"`
	ImageH      int        `json:"image_h,omitempty"`
	NumTrain    int        `json:"num_train"`
	NumTest     int        `json:"num_test"`
	Bounds      [4]float64 `json:"bounds"`
	FlippedFrac float64    `json:"flipped_frac"` // share of training labels flipped
	// Generation changes on every reset, so that caches keyed by example id
	// (thumbnails) can be invalidated.
	Generation int64 `json:"generation"`
}

// ExampleStats are one training example's statistics over the whole run for
// one arm (Dataset Cartography and forgetting).
type ExampleStats struct {
	ID          int32   `json:"id"`
	Label       int32   `json:"label"`       // training label (maybe flipped)
	CleanLabel  int32   `json:"clean_label"` // label before noise
	Flipped     bool    `json:"flipped"`
	Seen        int32   `json:"seen"`
	Selected    int32   `json:"selected"`
	LastLoss    float32 `json:"last_loss"`
	MeanLoss    float32 `json:"mean_loss"`
	Confidence  float32 `json:"confidence"`  // mean true-class probability
	Variability float32 `json:"variability"` // std of true-class probability
	Forgets     int32   `json:"forgets"`     // correct -> wrong transitions
	LastPred    int32   `json:"last_pred"`
}

// DataMap is a (subsampled) snapshot of every seen example's statistics.
type DataMap struct {
	Arm    int            `json:"arm"`
	Step   int64          `json:"step"`
	Total  int            `json:"total"` // examples seen at least once
	Points []ExampleStats `json:"points"`
}

// Trainer runs the training loop of one experiment in the background and
// takes live changes between two batches. Its methods are safe for
// concurrent use; Run is called once.
type Trainer struct {
	cfg Config
}

// New validates cfg (filling in defaults), loads the dataset and builds the
// model. It returns clear errors for bad configs and missing data.
func New(cfg Config, opt Options) (*Trainer, error) { return nil, errNotYet }

// Run trains until ctx is done or MaxSteps is reached. It returns nil on a
// normal stop. Divergence pauses the loop; it never panics out.
func (t *Trainer) Run(ctx context.Context) error { return errNotYet }

// Apply validates a live change and applies it at the next batch. On error
// nothing changes.
func (t *Trainer) Apply(ch Change) (*ConfigEvent, error) { return nil, errNotYet }

// Reset validates cfg and restarts training from scratch with it (new data,
// model, weights). On error nothing changes.
func (t *Trainer) Reset(cfg Config) error { return errNotYet }

// Pause pauses training after the current batch.
func (t *Trainer) Pause() {}

// Resume resumes a paused or diverged run.
func (t *Trainer) Resume() error { return errNotYet }

// StepOnce runs exactly one batch while paused.
func (t *Trainer) StepOnce() error { return errNotYet }

// RequestEval asks for an evaluation after the current batch.
func (t *Trainer) RequestEval() {}

// State returns a snapshot of the trainer.
func (t *Trainer) State() State { return State{} }

// Dataset returns the current dataset (read-only: never modify it).
func (t *Trainer) Dataset() *data.Set { return nil }

// DataMap returns up to max examples' statistics of arm (all if max <= 0),
// subsampled deterministically.
func (t *Trainer) DataMap(arm, max int) (DataMap, error) { return DataMap{}, errNotYet }

// Example returns one training example's statistics for arm.
func (t *Trainer) Example(arm int, id int) (ExampleStats, error) {
	return ExampleStats{}, errNotYet
}

// DefaultConfig returns the default experiment for a dataset name: for
// mnist, topk with K=128, M=32, SGD lr 0.1, seed 1.
func DefaultConfig(dataset string) Config { return Config{} }

// Validate checks cfg and returns an error naming the field and its allowed
// range. It does not fill defaults.
func (c Config) Validate() error { return errNotYet }

// WithDefaults returns cfg with every zero optional field set to its
// default.
func (c Config) WithDefaults() Config { return c }

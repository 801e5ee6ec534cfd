package trainer

import (
	"fmt"
	"image"
	"sync"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// Options are the trainer's run-time options that are not part of the
// experiment config.
type Options struct {
	// Sink receives events; nil discards them.
	Sink Sink
	// MaxSteps stops Run after this many steps (0 = run until ctx is done).
	MaxSteps int64
	// Paused starts the trainer paused.
	Paused bool
	// LoadInRun makes New return before the dataset is loaded: Run loads
	// it first, so that a server can serve its page meanwhile. Until then
	// State reports StateLoading and the controls that need the data
	// return ErrLoading.
	LoadInRun bool
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
	ExamplesBackprop int64      `json:"examples_backpropagated"`
	ExamplesForward  int64      `json:"examples_forwarded"`
	ComputeFLOPs     int64      `json:"compute_flops"`
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
	// SomeImages is set when only some examples have an image: an outside
	// trainer sends the images of the examples it kept. Clients then show
	// the thumbnail GET /api/examples/{id} names, not one of every example.
	SomeImages bool `json:"some_images,omitempty"`
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
	// X are the example's features when there are at most
	// maxShownFeatures of them (2-D sets: the point); only Example fills
	// them.
	X []float32 `json:"x,omitempty"`
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
//
// Controls (Apply, Pause, Reset, ...) only record what they want under mu
// and wake the loop; the training goroutine picks the pending state up
// between two batches, so a change never lands in the middle of a step.
type Trainer struct {
	opt  Options
	wake chan struct{}

	mu         sync.Mutex
	cfg        Config // newest accepted config
	version    int64  // its version
	set        *data.Set
	generation int64
	cur        *session // the session the loop must run (replaced by Reset)
	loopSess   *session // the session the loop is running, if any
	paused     bool     // paused by the user
	diverged   bool     // paused by a divergence or step error
	stopped    bool
	started    bool
	reason     string
	reasonArm  int
	stepReq    int // single steps requested while paused
	evalReq    bool
	events     []Event // from controls, published by the loop
	step       int64
	arms       []ArmState
}

// New validates cfg (filling in defaults), loads the dataset and builds the
// model. It returns clear errors for bad configs and missing data.
func New(cfg Config, opt Options) (*Trainer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{
		opt:     opt,
		wake:    make(chan struct{}, 1),
		cfg:     cfg,
		version: 1,
		paused:  opt.Paused,
		arms:    armStates(cfg),
	}
	if opt.LoadInRun {
		return t, nil
	}
	if err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

// armStates returns fresh progress records for cfg's arms.
func armStates(cfg Config) []ArmState {
	out := make([]ArmState, len(cfg.Arms))
	for i, a := range cfg.Arms {
		out[i].Name = a.Name
	}
	return out
}

// status returns the run state; t.mu is held.
func (t *Trainer) status() string {
	switch {
	case t.stopped:
		return StateStopped
	case t.cur == nil:
		return StateLoading
	case t.diverged:
		return StateDiverged
	case t.paused:
		return StatePaused
	default:
		return StateRunning
	}
}

// State returns a snapshot of the trainer.
func (t *Trainer) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := State{
		Config:  t.cfg.Clone(),
		Version: t.version,
		Status:  t.status(),
		Reason:  t.reason,
		Step:    t.step,
		Arms:    append([]ArmState(nil), t.arms...),
		Dataset: t.datasetInfo(),
	}
	for i := range s.Arms {
		if i < len(t.cfg.Arms) {
			s.Arms[i].Name = t.cfg.Arms[i].Name
		}
	}
	if s.Status == StateLoading && s.Reason == "" {
		s.Reason = "loading the " + t.cfg.Data.Name + " data; training starts when it is in memory"
	}
	return s
}

// datasetInfo describes t.set (nothing while it loads); t.mu is held.
func (t *Trainer) datasetInfo() DatasetInfo {
	s := t.set
	if s == nil {
		return DatasetInfo{Name: t.cfg.Data.Name}
	}
	return DatasetInfo{
		Name:        s.Name,
		Classes:     s.Classes,
		ClassNames:  append([]string(nil), s.ClassNames...),
		Dim:         s.Dim,
		ImageW:      s.ImageW,
		ImageH:      s.ImageH,
		NumTrain:    s.NumTrain(),
		NumTest:     s.NumTest(),
		Bounds:      s.Bounds,
		FlippedFrac: s.FlippedFrac(),
		Generation:  t.generation,
	}
}

// dataset returns the current dataset (read-only: never modify it), or
// ErrLoading before it is loaded.
func (t *Trainer) dataset() (*data.Set, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.set == nil {
		return nil, ErrLoading
	}
	return t.set, nil
}

// maxShownFeatures is the most features Example returns with an example.
const maxShownFeatures = 16

// ExampleImage returns training example id's image (image datasets).
func (t *Trainer) ExampleImage(id int) (image.Image, error) {
	set, err := t.dataset()
	if err != nil {
		return nil, err
	}
	return set.Image(id)
}

// armStats returns arm's statistics and the set they describe.
func (t *Trainer) armStats(arm int) (*exampleStats, *data.Set, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == nil {
		return nil, nil, ErrLoading
	}
	if arm < 0 || arm >= len(t.cur.arms) {
		return nil, nil, fmt.Errorf("arm = %d out of range: want 0 <= arm <= %d", arm, len(t.cur.arms)-1)
	}
	return t.cur.arms[arm].stats, t.cur.set, nil
}

// labeller returns a function that fills in the labels of an example of set.
func labeller(set *data.Set) func(e *ExampleStats) {
	return func(e *ExampleStats) {
		e.Label = set.TrainY[e.ID]
		e.CleanLabel = e.Label
		if set.CleanY != nil {
			e.CleanLabel = set.CleanY[e.ID]
		}
		if set.Flipped != nil {
			e.Flipped = set.Flipped[e.ID]
		}
	}
}

// DataMap returns up to max examples' statistics of arm (all if max <= 0),
// subsampled deterministically: evenly spaced over the seen examples in id
// order.
func (t *Trainer) DataMap(arm, max int) (DataMap, error) {
	st, set, err := t.armStats(arm)
	if err != nil {
		return DataMap{}, err
	}
	total, step, pts := st.dataMap(max, labeller(set))
	return DataMap{Arm: arm, Step: step, Total: total, Points: pts}, nil
}

// Example returns one training example's statistics for arm.
func (t *Trainer) Example(arm int, id int) (ExampleStats, error) {
	st, set, err := t.armStats(arm)
	if err != nil {
		return ExampleStats{}, err
	}
	e, err := st.example(id, labeller(set))
	if err == nil && set.Dim <= maxShownFeatures {
		e.X = make([]float32, set.Dim)
		set.TrainRowTo(e.X, id)
	}
	return e, err
}

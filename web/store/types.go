package store

import (
	"encoding/json"
	"math"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
)

// Run statuses reported by RunInfo.Status.
const (
	// StatusRunning is a run a live Recorder is writing.
	StatusRunning = "running"
	// StatusPaused is a live run whose trainer is paused.
	StatusPaused = "paused"
	// StatusDiverged is a run whose trainer stopped on NaN or Inf.
	StatusDiverged = "diverged"
	// StatusFinished is a run that ended normally (reset, stop, shutdown).
	StatusFinished = "finished"
	// StatusInterrupted is a run whose process died while recording it: its
	// Recorder stopped writing heartbeats without finishing it.
	StatusInterrupted = "interrupted"
)

// StaleAfter is how long a running or paused run may go without a write
// before it is reported as interrupted. Recorders write a heartbeat at
// least every heartbeatEvery.
const StaleAfter = time.Minute

// RunInfo is what the run list shows about a run.
type RunInfo struct {
	ID       int64      `json:"id"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	Updated  time.Time  `json:"updated"`
	Finished *time.Time `json:"finished,omitempty"`
	Status   string     `json:"status"`
	// Dataset and Arms (arm names, the strategy by default) come from the
	// run's initial config.
	Dataset string   `json:"dataset"`
	Arms    []string `json:"arms"`
	Summary Summary  `json:"summary"`
	// Pinned runs are never deleted to keep the store within its limits.
	Pinned bool `json:"pinned"`
}

// Run is a saved run with all its series, in step order.
type Run struct {
	RunInfo
	// Config is the config the run started with; Changes are the live
	// changes after it.
	Config  trainer.Config `json:"config"`
	Changes []Change       `json:"changes"`
	Metrics []Metric       `json:"metrics"`
	Evals   []Eval         `json:"evals"`
	// Stride is 1 when Metrics has every step; GetSampled sets it to n
	// when only every n-th step (and the last) is included.
	Stride int64 `json:"stride"`
}

// Change is a live change of a run's config.
type Change struct {
	Step    int64          `json:"step"` // first step that used it
	Version int64          `json:"version"`
	Changed []string       `json:"changed"`
	Config  trainer.Config `json:"config"` // the whole config after it
}

// Metric is one arm's training step, as the protocol's summary row.
// Non-finite losses (a diverged step) are kept as NaN; ExportJSON and the
// server write them as null (package finitejson).
type Metric struct {
	Arm              int        `json:"arm"`
	Step             int64      `json:"step"`
	Version          int64      `json:"version"`
	BatchLoss        float64    `json:"batch_loss"`
	SelLoss          float64    `json:"sel_loss"`
	Q                [5]float64 `json:"q"` // min, p10, p50, p90, max
	KeptShare        float64    `json:"kept_share"`
	SelFlippedShare  float64    `json:"sel_flipped_share"`
	ExamplesSeen     int64      `json:"examples_seen"`
	ExamplesBackprop int64      `json:"examples_backpropagated"`
	Wall             float64    `json:"wall"`
	// ExamplesForward and ComputeFLOPs are the training forwards and FLOPs
	// so far (0 in runs saved before they were counted); Scanned is the
	// pool size of an offline scan before this step (0: none).
	ExamplesForward int64 `json:"examples_forwarded"`
	ComputeFLOPs    int64 `json:"compute_flops"`
	Scanned         int   `json:"scanned,omitempty"`
}

// Eval is one arm's evaluation on the test set.
type Eval struct {
	Arm              int       `json:"arm"`
	Step             int64     `json:"step"`
	Version          int64     `json:"version"`
	ExamplesBackprop int64     `json:"examples_backpropagated"`
	ExamplesForward  int64     `json:"examples_forwarded"`
	ComputeFLOPs     int64     `json:"compute_flops"`
	Wall             float64   `json:"wall"`
	TestLoss         float64   `json:"test_loss"`
	TestAccuracy     float64   `json:"test_accuracy"`
	TrainLoss        float64   `json:"train_loss"`
	PerClass         []float64 `json:"per_class"`
	Confusion        [][]int   `json:"confusion"`
}

// Summary is a run's outcome so far, rewritten at every flush.
type Summary struct {
	Arms []ArmSummary `json:"arms"`
	// State and Reason are the trainer's last reported state.
	State  string `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Dropped counts this run's events the Recorder had to drop because
	// its queue was full.
	Dropped int64 `json:"dropped,omitempty"`
}

// ArmSummary is one arm's outcome. Pointers are nil when unknown or not
// finite.
type ArmSummary struct {
	Arm              int      `json:"arm"`
	Name             string   `json:"name"`
	Steps            int64    `json:"steps"`
	ExamplesSeen     int64    `json:"examples_seen"`
	ExamplesBackprop int64    `json:"examples_backpropagated"`
	WallSeconds      float64  `json:"wall_seconds"`
	BatchLoss        *float64 `json:"batch_loss,omitempty"`
	Evals            int      `json:"evals"`
	TestLoss         *float64 `json:"test_loss,omitempty"`
	TestAccuracy     *float64 `json:"test_accuracy,omitempty"`
	BestTestAccuracy *float64 `json:"best_test_accuracy,omitempty"`
	BestStep         int64    `json:"best_step,omitempty"`
}

// UnmarshalJSON reads an arm summary, also as saved before the wire name
// became examples_backpropagated (runs saved with "examples_backprop").
func (a *ArmSummary) UnmarshalJSON(b []byte) error {
	type plain ArmSummary
	var v struct {
		plain
		Old *int64 `json:"examples_backprop"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = ArmSummary(v.plain)
	if v.Old != nil && a.ExamplesBackprop == 0 {
		a.ExamplesBackprop = *v.Old
	}
	return nil
}

// fin returns &x, or nil when x is NaN or infinite.
func fin(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

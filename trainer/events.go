package trainer

import "github.com/ohemlab/ohemlab/trainer/experiment"

// Event is anything the trainer publishes: *BatchEvent, *EvalEvent,
// *StatusEvent or *ConfigEvent. Every slice in an event is a fresh copy the
// receiver may keep: the trainer never touches it again.
type Event interface {
	// Kind is the event's wire type: batch, eval, status or config.
	Kind() string
}

// Sink receives the trainer's events. Publish must never block: a sink that
// cannot keep up drops or coalesces. It is called from the training
// goroutine only.
type Sink interface {
	Publish(Event)
}

// BatchSink is a Sink that can take several events at once: its consumers
// see them together (an outside trainer's request of many batches is shown
// as its newest batch, not as whichever one a frame timer caught first).
type BatchSink interface {
	Sink
	PublishAll([]Event)
}

// PublishAll hands evs to s, at once when s is a BatchSink, else in order
// one by one.
func PublishAll(s Sink, evs []Event) {
	if b, ok := s.(BatchSink); ok {
		b.PublishAll(evs)
		return
	}
	for _, e := range evs {
		s.Publish(e)
	}
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Publish calls f(e).
func (f SinkFunc) Publish(e Event) { f(e) }

// BatchEvent is one arm's training step.
type BatchEvent struct {
	Arm      int    `json:"arm"`
	Step     int64  `json:"step"`    // steps done by this arm, 1-based
	Version  int64  `json:"version"` // config version in force for this step
	K        int    `json:"k"`
	M        int    `json:"m"` // configured M
	Strategy string `json:"strategy"`
	Exec     string `json:"exec"`
	// Per example of the batch, in batch order, length K.
	IDs      []int32   `json:"ids"`               // training-set index
	Labels   []int32   `json:"labels"`            // label used for training (maybe flipped)
	Preds    []int32   `json:"preds"`             // argmax prediction
	Losses   []float32 `json:"losses"`            // per-example loss (focal if on)
	TrueProb []float32 `json:"trueprob"`          // probability of the training label
	Flipped  []bool    `json:"flipped,omitempty"` // label was flipped by label noise
	// XY are the examples' points of a 2-D set (x, y per example, 2K
	// values); nil for other sets.
	XY []float32 `json:"xy,omitempty"`
	// Ranks is the process rank of each example in a batch merged from the
	// ranks of a multi-process external trainer; nil otherwise.
	Ranks []int32 `json:"ranks,omitempty"`
	// Selected are indices into the per-example slices, increasing.
	Selected []int32   `json:"selected"`
	Weights  []float32 `json:"weights"` // weight of each selected example, sum 1
	// Quantiles of Losses: min, 10%, 50%, 90%, max.
	Quantiles [5]float32 `json:"quantiles"`
	KeptShare float64    `json:"kept_share"` // selected loss sum / batch loss sum
	BatchLoss float64    `json:"batch_loss"` // mean loss over K
	SelLoss   float64    `json:"sel_loss"`   // mean loss over the selection
	// SelFlippedShare is the share of selected examples whose label was flipped.
	SelFlippedShare  float64 `json:"sel_flipped_share"`
	StepSeconds      float64 `json:"step_seconds"` // wall time of the training step
	ExamplesSeen     int64   `json:"examples_seen"`
	ExamplesBackprop int64   `json:"examples_backpropagated"`
	// ExamplesForward counts the training examples forwarded so far, pool
	// scans included, evaluation excluded; ComputeFLOPs is their forward
	// and backward work (the convention is in compute.go and the README).
	ExamplesForward int64   `json:"examples_forwarded"`
	ComputeFLOPs    int64   `json:"compute_flops"`
	WallSeconds     float64 `json:"wall_seconds"` // training wall time of this arm so far
	// Scanned is, for offline, the number of pool examples scored by the
	// scan that refilled the cache before this step (0: no scan).
	Scanned int `json:"scanned,omitempty"`
}

// Kind returns "batch".
func (*BatchEvent) Kind() string { return "batch" }

// Surface is a decision surface over a 2-D set: P(class 1) on a grid.
type Surface struct {
	W    int       `json:"w"`
	H    int       `json:"h"`
	XMin float64   `json:"xmin"`
	XMax float64   `json:"xmax"`
	YMin float64   `json:"ymin"`
	YMax float64   `json:"ymax"`
	Prob []float32 `json:"prob"` // row-major, row 0 at YMin
}

// EvalEvent is an evaluation of one arm on the test set.
type EvalEvent struct {
	Arm              int       `json:"arm"`
	Step             int64     `json:"step"`
	Version          int64     `json:"version"`
	ExamplesBackprop int64     `json:"examples_backpropagated"`
	ExamplesForward  int64     `json:"examples_forwarded"`
	ComputeFLOPs     int64     `json:"compute_flops"`
	WallSeconds      float64   `json:"wall_seconds"`
	TestLoss         float64   `json:"test_loss"`
	TestAccuracy     float64   `json:"test_accuracy"`
	TrainLoss        float64   `json:"train_loss"` // running mean batch loss since last eval
	PerClass         []float64 `json:"per_class"`  // accuracy per class
	Confusion        [][]int   `json:"confusion"`  // [true][pred]
	Surface          *Surface  `json:"surface,omitempty"`
}

// Kind returns "eval".
func (*EvalEvent) Kind() string { return "eval" }

// Run states reported by StatusEvent.
const (
	StateRunning  = "running"
	StatePaused   = "paused"
	StateDiverged = "diverged"
	StateStopped  = "stopped"
	StateLoading  = "loading"
)

// StatusEvent reports a change of the run state and why.
type StatusEvent struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Step   int64  `json:"step"`
	Arm    int    `json:"arm"` // the arm that caused it (divergence)
}

// Kind returns "status".
func (*StatusEvent) Kind() string { return "status" }

// ConfigEvent reports a new config version: after a live change or a reset.
type ConfigEvent struct {
	Version int64    `json:"version"`
	Step    int64    `json:"step"` // the first step that uses it
	Config  Config   `json:"config"`
	Changed []string `json:"changed"` // field names that changed, e.g. "m", "arms[0].lr"
	// Diff lists every field whose value changed, old and new, with a
	// label such as "M 32→4" for the chart's config-change marker.
	Diff  []experiment.FieldChange `json:"diff"`
	Reset bool                     `json:"reset"`
}

// Kind returns "config".
func (*ConfigEvent) Kind() string { return "config" }

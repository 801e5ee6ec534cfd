// Package templates renders the dashboard's HTML with templ. It knows view
// structs only, never the trainer.
package templates

import "github.com/a-h/templ"

// PageView is everything the page needs for its first render. The web
// package fills it from the trainer's state.
type PageView struct {
	Title string
	// StateJSON is the initial state (as GET /api/state) embedded in the page
	// so the client can draw before the first frame.
	StateJSON string
	// Role is control or viewer: viewers see the controls disabled.
	Role string
	// Status is the run-state banner.
	Status StatusView
	// Controls are the experiment controls.
	Controls ControlsView
	// Hardest is the most-selected-examples table.
	Hardest HardestView
	// Runs is the saved runs list.
	Runs RunsView
	// SharedConfigJSON is the experiment a shared link carries (JSON of the
	// full config), empty when the URL has none. A controlling page starts
	// it; a viewer only follows.
	SharedConfigJSON string
	// ShareError explains why the link's experiment was refused.
	ShareError string
	// Modules are the URLs of the ES modules the entry script imports, which
	// the page preloads so that they load at once, not import by import.
	Modules []string
}

// StatusView is the run-state banner: running, paused, diverged, stopped or
// loading, and why.
type StatusView struct {
	State   string
	Reason  string
	Step    int64
	Dataset string
	Version int64
	// Arms is the number of arms trained side by side.
	Arms int
}

// ControlsView holds the control values of the first render. Later values
// arrive in config frames and are written into the same inputs by the
// client.
type ControlsView struct {
	// Disabled greys out every control (viewer role).
	Disabled bool
	// External: the run is trained by an outside process (serve --source
	// external), whose data the page cannot change: the Data controls
	// give way to a note.
	External bool
	// Datasets are the datasets offered: the presets and the current one.
	Datasets []Option
	// Dataset is the current dataset name.
	Dataset string
	// Strategies are the selection strategies offered.
	Strategies []string
	// Execs are the execution modes offered.
	Execs []string
	// K is the batch size.
	K int
	// LabelNoise is the fraction of training labels flipped.
	LabelNoise float64
	// Seed seeds the whole experiment.
	Seed int64
	// SpeedCap is the steps-per-second cap (0 = unlimited).
	SpeedCap float64
	// Arms are the per-arm controls; one or two.
	Arms []ArmControls
	// Inputs are the number inputs by field key, from the experiment's
	// field table: label, unit and bounds.
	Inputs map[string]Input
}

// Input is one number input of the controls, made from a row of the
// experiment's field table.
type Input struct {
	// Key is the field's key (data-field).
	Key string
	// Label is the field's name; Note the small print after it (unit,
	// what 0 means).
	Label, Note string
	// Kind is int or number (data-kind): how the page reads the value.
	Kind string
	// Min, Max and Step are the attributes; "" leaves one out.
	Min, Max, Step string
	// MinOpen and MaxOpen exclude the bound itself (data-min-open,
	// data-max-open): min and max attributes cannot say so.
	MinOpen, MaxOpen bool
	// ZeroIsDefault: 0 is accepted outside [Min, Max] and means the
	// default (data-zero="default").
	ZeroIsDefault bool
}

// attrs are the input's attributes: id ("" = none), arm (-1 = not an arm
// field) and value.
func (in Input) attrs(id string, arm int, value string) templ.Attributes {
	a := templ.Attributes{"data-field": in.Key, "data-kind": in.Kind, "value": value}
	if id != "" {
		a["id"] = id
	}
	if arm >= 0 {
		a["data-arm"] = itoa(arm)
	}
	for name, v := range map[string]string{"min": in.Min, "max": in.Max, "step": in.Step} {
		if v != "" {
			a[name] = v
		}
	}
	if in.MinOpen {
		a["data-min-open"] = "true"
	}
	if in.MaxOpen {
		a["data-max-open"] = "true"
	}
	if in.ZeroIsDefault {
		a["data-zero"] = "default"
	}
	return a
}

// errAttrs are the attributes of the input's error slot.
func (in Input) errAttrs(arm int) templ.Attributes {
	a := templ.Attributes{"data-err-for": in.Key}
	if arm >= 0 {
		a["data-arm"] = itoa(arm)
	}
	return a
}

// ArmControls are one arm's live parameters.
type ArmControls struct {
	Name       string
	Strategy   string
	M          int
	LR         float64
	Exec       string
	FocalGamma float64
	Thresh     float64
	MinKept    int
	NegPos     float64
	MinNeg     int
	Beta       float64
	// Refresh, Pool and Hard are offline's parameters (defaults filled in).
	Refresh, Pool, Hard int
}

// HardestView is the "hardest so far" table: the examples selected most
// often by one arm.
type HardestView struct {
	Arm int
	// Total is the number of examples seen at least once.
	Total int
	// Image is true when examples have thumbnails (MNIST).
	Image bool
	// Generation keys thumbnail URLs so that a reset invalidates caches.
	Generation int64
	Rows       []HardestRow
	// Err is shown instead of the table when the statistics are unavailable.
	Err string
}

// HardestRow is one example of the hardest-so-far table.
type HardestRow struct {
	ID int
	// Thumb: the server has this example's image (an outside trainer
	// sends the images of some batches only).
	Thumb    bool
	Label    string
	Clean    string
	Pred     string
	Flipped  bool
	Seen     int
	Selected int
	MeanLoss float64
	Forgets  int
}

// RunsView is the saved runs list.
type RunsView struct {
	// Available is false when the server keeps no run store.
	Available bool
	Runs      []RunRow
	// Err is shown instead of the list when listing failed.
	Err string
	// Short counts the finished runs left out for being too short to
	// compare (under ShortRunSteps steps and never evaluated).
	Short int
	// Pruned, when not empty, says which runs were deleted to keep the
	// store within its limits (--keep-runs, --max-store-mb).
	Pruned string
}

// ShortRunSteps is the length under which a finished run that was never
// evaluated is left out of the runs list (a reset a few steps in).
const ShortRunSteps = 20

// RunRow is one saved run.
type RunRow struct {
	ID       string
	Name     string
	Dataset  string
	Strategy string
	Started  string
	Steps    int64
	// Accuracy is the last test accuracy, negative when unknown.
	Accuracy float64
	Live     bool
	// Pinned runs are never deleted to keep the store within its limits.
	Pinned bool
}

// Option is one choice of a select: the value sent and the label shown.
type Option struct {
	Value string
	Label string
}

// Package templates renders the dashboard's HTML with templ. It knows view
// structs only, never the trainer.
package templates

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
	// Datasets are the datasets offered: the presets and the current one.
	Datasets []Option
	// Dataset is the current dataset name.
	Dataset string
	// Strategies are the selection strategies offered.
	Strategies []string
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
	ID       int
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
}

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
}

// Option is one choice of a select: the value sent and the label shown.
type Option struct {
	Value string
	Label string
}

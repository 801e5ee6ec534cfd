package templates

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleControls is a two-arm control panel.
func sampleControls(disabled bool) ControlsView {
	return ControlsView{
		Disabled:   disabled,
		Datasets:   []Option{{"mnist", "mnist"}, {"circle", "circle"}, {"csv:/data/x.csv", "csv: x.csv"}},
		Dataset:    "mnist",
		Strategies: []string{"all", "random", "topk"},
		Execs:      []string{"twopass", "mask"},
		K:          128,
		LabelNoise: 0.1,
		Seed:       1,
		Inputs: map[string]Input{
			"label_noise": {Key: "label_noise", Label: "Label noise", Kind: "number", Min: "0", Max: "0.9", Step: "0.05"},
			"seed":        {Key: "seed", Label: "Seed", Kind: "int", Step: "1"},
			"k":           {Key: "k", Label: "K (batch)", Kind: "int", Min: "1", Max: "65536", Step: "1"},
			"speed_cap":   {Key: "speed_cap", Label: "Speed cap", Note: "steps/s, 0 = no cap", Kind: "number", Min: "0", Max: "10000", Step: "1"},
			"m":           {Key: "m", Label: "M (kept)", Kind: "int", Min: "1", Max: "128", Step: "1"},
			"lr":          {Key: "lr", Label: "Learning rate", Kind: "number", Min: "0", Max: "100", Step: "0.01", MinOpen: true},
			"focal_gamma": {Key: "focal_gamma", Label: "Focal γ", Note: "0 = off", Kind: "number", Min: "0", Max: "10", Step: "0.5"},
			"thresh":      {Key: "thresh", Label: "Threshold p", Kind: "number", Min: "0", Max: "1", Step: "0.05"},
			"min_kept":    {Key: "min_kept", Label: "Min kept", Note: "0 = M", Kind: "int", Min: "0", Max: "128", Step: "1"},
			"neg_pos":     {Key: "neg_pos", Label: "Neg : pos", Kind: "number", Min: "0", Max: "1000", Step: "0.5"},
			"min_neg":     {Key: "min_neg", Label: "Min negatives", Kind: "int", Min: "0", Max: "65536", Step: "1"},
			"beta":        {Key: "beta", Label: "β (selective)", Kind: "number", Min: "0", Max: "100", Step: "0.5"},
			"refresh":     {Key: "refresh", Label: "Refresh", Note: "steps", Kind: "int", Min: "1", Max: "1000000", Step: "10", ZeroIsDefault: true},
			"pool":        {Key: "pool", Label: "Pool", Note: "examples", Kind: "int", Min: "1", Max: "10000000", Step: "500", ZeroIsDefault: true},
			"hard":        {Key: "hard", Label: "Hard", Note: "examples", Kind: "int", Min: "1", Max: "10000000", Step: "100", ZeroIsDefault: true},
		},
		Arms: []ArmControls{
			{Name: "topk", Strategy: "topk", M: 32, LR: 0.1, Exec: "twopass", Thresh: 0.7, MinKept: 32, NegPos: 3, MinNeg: 1, Beta: 3, Refresh: 200, Pool: 10000, Hard: 2500},
			{Name: "random", Strategy: "random", M: 32, LR: 0.1, Exec: "mask", FocalGamma: 2, Thresh: 0.7, MinKept: 32, NegPos: 3, MinNeg: 1, Beta: 3, Refresh: 200, Pool: 10000, Hard: 2500},
		},
	}
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGolden renders every component with representative views and
// compares the HTML with testdata/NAME.html (go test -update rewrites them).
func TestGolden(t *testing.T) {
	hardest := HardestView{Arm: 0, Total: 5000, Image: true, Generation: 7, Rows: []HardestRow{
		{ID: 42, Thumb: true, Label: "7", Clean: "1", Pred: "1", Flipped: true, Seen: 9, Selected: 8, MeanLoss: 3.25, Forgets: 2},
		{ID: 7, Label: "3", Clean: "3", Pred: "5", Seen: 10, Selected: 6, MeanLoss: 1.5}, // no image: no thumbnail
	}}
	runs := RunsView{Available: true, Runs: []RunRow{
		{ID: "2", Name: "<b>mine</b>", Dataset: "mnist", Strategy: "topk vs random", Started: "2026-01-02 03:04 UTC", Steps: 469, Accuracy: 0.9412, Live: true},
		{ID: "1", Name: "run 1", Dataset: "circle", Strategy: "all", Started: "2026-01-01 00:00 UTC", Steps: 10, Accuracy: -1},
	}}
	tests := []struct {
		name string
		c    templ.Component
	}{
		{"status_running", StatusBanner(StatusView{State: "running", Step: 120, Dataset: "mnist", Version: 3, Arms: 2})},
		{"status_diverged", StatusBanner(StatusView{State: "diverged", Reason: "arm 0: loss is NaN at step 12 <lr too high>", Step: 12, Dataset: "xor", Version: 1, Arms: 1})},
		{"status_unknown_state", StatusBanner(StatusView{State: `x" onclick="bad`, Dataset: "mnist"})},
		{"controls_control", Controls(sampleControls(false))},
		{"controls_viewer", Controls(sampleControls(true))},
		{"hardest_rows", Hardest(hardest)},
		{"hardest_empty", Hardest(HardestView{Arm: 1})},
		{"hardest_error", Hardest(HardestView{Err: "statistics unavailable: not yet"})},
		{"runs_list", RunsList(runs)},
		{"runs_none", RunsList(RunsView{Available: true})},
		{"runs_unavailable", RunsList(RunsView{})},
		{"page", Page(PageView{Title: "OHEM Lab · mnist", StateJSON: `{"status":"running","x":"</script>"}`, Role: "control",
			Status: StatusView{State: "running", Dataset: "mnist", Arms: 1}, Controls: sampleControls(false), Hardest: hardest, Runs: runs, Modules: []string{"/static/state.js", "/static/util.js"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.c)
			path := filepath.Join("testdata", tt.name+".html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file; run go test ./templates -update and review the diff\ngot:\n%s", path, got)
			}
		})
	}
}

// TestRegionsHaveStableIDs checks that every live region appears exactly
// once in the page with its id, the same id its fragment renders with.
func TestRegionsHaveStableIDs(t *testing.T) {
	page := render(t, Page(PageView{Title: "t", Role: "viewer", Controls: sampleControls(true), Runs: RunsView{Available: true}}))
	for _, id := range []string{"status", "controls", "hist", "examples", "quant", "curves", "ab", "noise", "datamap", "hardest", "runs",
		"hist-canvas", "kept-share", "kept-count", "gallery", "surface-canvas", "quant-plot", "curves-loss", "curves-acc", "noise-plot", "datamap-canvas", "ab-target", "upload"} {
		if n := strings.Count(page, `id="`+id+`"`); n != 1 {
			t.Errorf("id %q occurs %d times in the page, want 1", id, n)
		}
	}
	frags := map[string]templ.Component{
		"status":   StatusBanner(StatusView{}),
		"controls": Controls(sampleControls(false)),
		"hardest":  Hardest(HardestView{}),
		"runs":     RunsList(RunsView{}),
	}
	for id, c := range frags {
		if !strings.HasPrefix(strings.TrimSpace(render(t, c)), "<") || !strings.Contains(render(t, c), `id="`+id+`"`) {
			t.Errorf("fragment %s does not render its region id", id)
		}
	}
}

// TestEscaping checks that user-supplied text (run names, reasons, the
// embedded state) cannot inject markup.
func TestEscaping(t *testing.T) {
	tests := []struct {
		name    string
		c       templ.Component
		bad     string
		escaped string
	}{
		{"run name", RunsList(RunsView{Available: true, Runs: []RunRow{{ID: "1", Name: "<img src=x onerror=alert(1)>"}}}), "<img src=x", "&lt;img src=x"},
		{"reason", StatusBanner(StatusView{State: "diverged", Reason: "<script>alert(1)</script>"}), "<script>alert", "&lt;script&gt;"},
		{"state json", Page(PageView{StateJSON: `{"a":"</div><script>alert(1)</script>"}`}), "</div><script>alert", "&lt;/div&gt;"},
		{"run id in URL", RunsList(RunsView{Available: true, Runs: []RunRow{{ID: "../x y", Name: "n"}}}), `/api/runs/../x y/`, `/api/runs/..%2Fx%20y/export.csv`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.c)
			if strings.Contains(got, tt.bad) {
				t.Errorf("output contains unescaped %q:\n%s", tt.bad, got)
			}
			if !strings.Contains(got, tt.escaped) {
				t.Errorf("output lacks the escaped form %q:\n%s", tt.escaped, got)
			}
		})
	}
}

// TestFormat covers the small formatting helpers.
func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{num(0.1), "0.1"},
		{num(128), "128"},
		{num(1e-5), "1e-05"},
		{sig3(2.6143), "2.61"},
		{sig3(0.9046), "0.905"},
		{sig3(0.72), "0.720"},
		{sig3(15), "15.0"},
		{sig3(146.6), "147"},
		{sig3(0), "0"},
		{sig3(0.00012), "1.20e-04"},
		{ratio(32, 128), "0.25"},
		{ratio(1, 0), ""},
		{pct(0.94123), "94.1%"},
		{thumbURL(5, 2), "/api/examples/5.png?gen=2"},
		{armLetter(1), "B"},
		{stateClass("paused"), "state-paused"},
		{stateClass("<x>"), "state-unknown"},
		{roleName("control"), "control"},
		{roleName("admin"), "viewer"},
		{string(runURL("7", "export.json")), "/api/runs/7/export.json"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// trainJSON runs "ohemlab train" with args plus --json and decodes the
// report.
func trainJSON(t *testing.T, args ...string) (map[string]any, string) {
	t.Helper()
	var out, errOut strings.Builder
	args = append([]string{"train", "--json"}, args...)
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run(%q) = %v\nstderr:\n%s", args, err, errOut.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out.String()), &m); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	if strings.Count(strings.TrimSpace(out.String()), "\n") != 0 {
		t.Errorf("stdout has more than one line:\n%s", out.String())
	}
	return m, errOut.String()
}

// num returns m[key] as a number, failing the test when it is missing.
func num(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("%q = %#v (%T), want a number", key, m[key], m[key])
	}
	return v
}

// TestTrainTwoD trains on a 2-D set end to end and checks the JSON report.
func TestTrainTwoD(t *testing.T) {
	const steps, k, m = 300, 64, 16
	r, stderr := trainJSON(t, "--dataset", "circle", "--steps", "300", "--k", "64", "--m", "16",
		"--eval-every", "50", "--seed", "2", "--progress", "plain")
	if got := num(t, r, "steps"); got != steps {
		t.Errorf("steps = %v, want %d", got, steps)
	}
	if got := num(t, r, "examples_seen"); got != steps*k {
		t.Errorf("examples_seen = %v, want %d", got, steps*k)
	}
	if got := num(t, r, "examples_backpropagated"); got != steps*m {
		t.Errorf("examples_backpropagated = %v, want %d (topk keeps M per step)", got, steps*m)
	}
	if acc := num(t, r, "test_accuracy"); acc < 0.75 || acc > 1 {
		t.Errorf("test_accuracy = %v, want in [0.75, 1] on circle after 300 steps", acc)
	}
	for _, key := range []string{"train_loss", "test_loss"} {
		if v := num(t, r, key); v <= 0 || v > 1 {
			t.Errorf("%s = %v, want in (0, 1] (chance is ln 2 = 0.69)", key, v)
		}
	}
	sps, wall := num(t, r, "steps_per_second"), num(t, r, "wall_seconds")
	if sps <= 0 || wall <= 0 || float64(steps)/sps > wall {
		t.Errorf("steps_per_second = %v, wall_seconds = %v: training time must be positive and within wall time", sps, wall)
	}
	if _, ok := r["selected_flipped_share"]; ok {
		t.Errorf("selected_flipped_share present without label noise")
	}
	if arms, _ := r["arms"].([]any); len(arms) != 1 {
		t.Errorf("arms = %v, want one", r["arms"])
	}
	if !strings.Contains(stderr, "step 300/300 (100%)") {
		t.Errorf("stderr lacks the final progress line:\n%s", stderr)
	}
}

// TestTrainCompareNoise runs two arms with label noise and checks the
// per-arm objects, the flipped share and the target comparison.
func TestTrainCompareNoise(t *testing.T) {
	r, _ := trainJSON(t, "--dataset", "xor", "--steps", "120", "--k", "32", "--m", "8", "--compare", "topk,random",
		"--label-noise", "0.2", "--eval-every", "20", "--target-acc", "0.6", "--progress", "none")
	arms, _ := r["arms"].([]any)
	if len(arms) != 2 {
		t.Fatalf("arms = %v, want two", r["arms"])
	}
	for i, want := range []string{"topk", "random"} {
		a := arms[i].(map[string]any)
		if a["strategy"] != want {
			t.Errorf("arm %d strategy = %v, want %s", i, a["strategy"], want)
		}
		if num(t, a, "steps") != 120 || num(t, a, "examples_backpropagated") != 120*8 {
			t.Errorf("arm %d = %v", i, a)
		}
		if s := num(t, a, "selected_flipped_share"); s < 0 || s > 1 {
			t.Errorf("arm %d selected_flipped_share = %v", i, s)
		}
	}
	if s := num(t, r, "flipped_share"); s < 0.1 || s > 0.3 {
		t.Errorf("flipped_share = %v, want about 0.2", s)
	}
	to, _ := r["examples_backpropagated_to"].(map[string]any)
	if to == nil || num(t, to, "target_accuracy") != 0.6 {
		t.Fatalf("examples_backpropagated_to = %v", r["examples_backpropagated_to"])
	}
	if per, _ := to["arms"].([]any); len(per) != 2 {
		t.Errorf("examples_backpropagated_to.arms = %v, want two entries", to["arms"])
	}
}

// TestTrainMNIST runs a short MNIST training and checks that test accuracy
// rises well above chance (0.1).
func TestTrainMNIST(t *testing.T) {
	r, _ := trainJSON(t, "--steps", "60", "--eval-every", "60", "--progress", "none")
	if r["dataset"] != "mnist" || num(t, r, "steps") != 60 {
		t.Errorf("dataset = %v, steps = %v", r["dataset"], r["steps"])
	}
	if acc := num(t, r, "test_accuracy"); acc < 0.6 {
		t.Errorf("test_accuracy after 60 MNIST steps = %v, want >= 0.6 (chance is 0.1)", acc)
	}
}

// TestTrainHumanSummary checks the summary printed without --json.
func TestTrainHumanSummary(t *testing.T) {
	var out, errOut strings.Builder
	args := []string{"train", "--dataset", "moons", "--steps", "20", "--k", "16", "--m", "4", "--progress", "bar"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run = %v\n%s", err, errOut.String())
	}
	for _, w := range []string{"moons, K=16", "topk", "steps/s counts training steps only"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "\r[") {
		t.Errorf("--progress bar drew no bar: %q", errOut.String())
	}
}

// TestHelpAndVersion checks the informational commands.
func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"version"}, []string{"ohemlab ", "go1."}},
		{[]string{"help"}, []string{"ohemlab train", "ohemlab [serve]"}},
		{[]string{"--help"}, []string{"ohemlab train"}},
		{[]string{"help", "train"}, []string{"--steps", "--json", "--compare", "--target-acc", "--lr"}},
		{[]string{"help", "serve"}, []string{"--addr", "--control-token", "--allow-origin", "--max-viewers", "--no-store"}},
		{[]string{"train", "-h"}, []string{"Usage: ohemlab train", "--steps"}},
		{[]string{"serve", "--help"}, []string{"Usage: ohemlab serve", "--addr"}},
	}
	for _, tc := range tests {
		var out, errOut strings.Builder
		if err := run(context.Background(), tc.args, &out, &errOut); err != nil {
			t.Errorf("run(%q) = %v", tc.args, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("run(%q) output lacks %q:\n%s", tc.args, w, out.String())
			}
		}
	}
}

// TestTrainDiverges checks that a diverging headless run stops at once with
// exit code 1, the reason, and a report that says so.
func TestTrainDiverges(t *testing.T) {
	var out, errOut strings.Builder
	args := []string{"train", "--dataset", "xor", "--lr", "50", "--steps", "500", "--json", "--progress", "none"}
	err := run(context.Background(), args, &out, &errOut)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("run(%q) = %v, want an exit-1 error saying it diverged", args, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "lr 50") || !strings.HasSuffix(msg, "try a lower --lr") || strings.Contains(msg, "resume") {
		t.Errorf("error %q: want the learning rate and command-line advice, not the dashboard's", msg)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("no JSON report: %v\n%s", err, out.String())
	}
	if r["status"] != "diverged" || r["reason"] == "" || num(t, r, "steps") >= 500 {
		t.Errorf("report status %v, reason %v, steps %v: want diverged early with a reason", r["status"], r["reason"], r["steps"])
	}
}

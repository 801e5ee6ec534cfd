package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ohemlab/ohemlab/internal/finitejson"
	"github.com/ohemlab/ohemlab/trainer"
)

// armReport is one arm's result of a headless run.
type armReport struct {
	Name                   string  `json:"name"`
	Strategy               string  `json:"strategy"`
	Exec                   string  `json:"exec"`
	M                      int     `json:"m"`
	LR                     float64 `json:"lr"`
	Steps                  int64   `json:"steps"`
	ExamplesSeen           int64   `json:"examples_seen"`
	ExamplesBackpropagated int64   `json:"examples_backpropagated"`
	// ExamplesForwarded counts training forwards (offline's pool scans
	// included, evaluation excluded); ComputeFLOPs is the training work
	// (forward 2·Σ fan_in·fan_out per example, backward twice that).
	ExamplesForwarded int64 `json:"examples_forwarded"`
	ComputeFLOPs      int64 `json:"compute_flops"`
	// Scans is the number of offline pool scans (offline only).
	Scans          int     `json:"scans,omitempty"`
	TrainLoss      float64 `json:"train_loss"`
	TestLoss       float64 `json:"test_loss"`
	TestAccuracy   float64 `json:"test_accuracy"`
	StepsPerSecond float64 `json:"steps_per_second"`
	TrainSeconds   float64 `json:"train_seconds"`
	// SelectedFlippedShare is the mean over steps of the share of selected
	// examples whose label was flipped; only with label noise.
	SelectedFlippedShare *float64 `json:"selected_flipped_share,omitempty"`
	// ExamplesBackpropagatedTo is the examples backpropagated when the run
	// reached the target accuracy (trainer.Reach: the mean of the last 3
	// evaluations at or above it); nil if it did not.
	ExamplesBackpropagatedTo *int64 `json:"examples_backpropagated_to"`
	// ToTarget is the step, examples and compute at which the run reached
	// the target by the same rule; nil if it did not.
	ToTarget *reachReport `json:"to_target"`
	Evals    int          `json:"evals"`
	// Seed is the replicate's seed (in replicates only).
	Seed *int64 `json:"seed,omitempty"`
	// Replicates are this arm's results for every seed of --seeds, in
	// seed order; Summary sums them up. Only with --seeds.
	Replicates []armReport `json:"replicates,omitempty"`
	Summary    *armSummary `json:"summary,omitempty"`
}

// reachReport is where a run reached the target accuracy.
type reachReport struct {
	Step                   int64 `json:"step"`
	ExamplesBackpropagated int64 `json:"examples_backpropagated"`
	ExamplesForwarded      int64 `json:"examples_forwarded"`
	ComputeFLOPs           int64 `json:"compute_flops"`
}

// targetReport compares the arms' backprop cost to a target accuracy.
type targetReport struct {
	TargetAccuracy float64  `json:"target_accuracy"`
	Arms           []*int64 `json:"arms"` // per arm, null if not reached
	// Ratio is arms[0]/arms[1] with two arms that both reached the target.
	Ratio *float64 `json:"ratio,omitempty"`
	// ComputeRatio is the same ratio of compute_flops to the target.
	ComputeRatio *float64 `json:"compute_ratio,omitempty"`
	// EvalEvery is the evaluation period: the resolution of the counts.
	EvalEvery int `json:"eval_every"`
	// Rule says when a run counts as having reached the target.
	Rule string `json:"rule"`
	// RatioSummary and ComputeRatioSummary sum up the per-seed ratios over
	// the seeds where both arms reached the target (only with --seeds).
	RatioSummary        *stat `json:"ratio_summary,omitempty"`
	ComputeRatioSummary *stat `json:"compute_ratio_summary,omitempty"`
}

// reachRule is the crossing rule as the report states it.
var reachRule = fmt.Sprintf("first evaluation at which the mean test accuracy of the last %d evaluations is at or above the target", trainer.ReachWindow)

// trainReport is the JSON object "ohemlab train --json" prints. The
// top-level metrics are the first arm's; "arms" has every arm.
type trainReport struct {
	Dataset                string   `json:"dataset"`
	K                      int      `json:"k"`
	Seed                   int64    `json:"seed"`
	Status                 string   `json:"status"`
	Reason                 string   `json:"reason,omitempty"`
	Steps                  int64    `json:"steps"`
	ExamplesSeen           int64    `json:"examples_seen"`
	ExamplesBackpropagated int64    `json:"examples_backpropagated"`
	TrainLoss              float64  `json:"train_loss"`
	TestLoss               float64  `json:"test_loss"`
	TestAccuracy           float64  `json:"test_accuracy"`
	StepsPerSecond         float64  `json:"steps_per_second"`
	WallSeconds            float64  `json:"wall_seconds"`
	LoadSeconds            float64  `json:"load_seconds"`
	SelectedFlippedShare   *float64 `json:"selected_flipped_share,omitempty"`
	// FlippedShare is the share of training labels flipped in the data.
	FlippedShare *float64 `json:"flipped_share,omitempty"`
	// Seeds are the seeds of --seeds (the top-level figures and the arms'
	// own fields are the first seed's; see arms[].replicates and
	// arms[].summary).
	Seeds                    []int64        `json:"seeds,omitempty"`
	Arms                     []armReport    `json:"arms"`
	ExamplesBackpropagatedTo targetReport   `json:"examples_backpropagated_to"`
	Config                   trainer.Config `json:"config"`
}

// buildReport turns the collected tallies into the report.
func buildReport(cfg trainer.Config, st trainer.State, tallies []armTally, target float64, wall, load float64) trainReport {
	r := trainReport{
		Dataset:     cfg.Data.Name,
		K:           cfg.K,
		Seed:        cfg.Seed,
		Status:      st.Status,
		Reason:      st.Reason,
		WallSeconds: float64(wall),
		LoadSeconds: float64(load),
		Config:      cfg,
	}
	noisy := cfg.Data.LabelNoise > 0
	if noisy {
		f := float64(st.Dataset.FlippedFrac)
		r.FlippedShare = &f
	}
	r.ExamplesBackpropagatedTo = targetReport{TargetAccuracy: target, EvalEvery: cfg.EvalEvery, Rule: reachRule}
	for i, t := range tallies {
		a := armReport{
			Steps:                  t.steps,
			ExamplesSeen:           t.examplesSeen,
			ExamplesBackpropagated: t.examplesBackprop,
			ExamplesForwarded:      t.examplesForward,
			ComputeFLOPs:           t.computeFLOPs,
			Scans:                  t.scans,
			TrainLoss:              float64(math.NaN()),
			TestLoss:               float64(math.NaN()),
			TestAccuracy:           float64(math.NaN()),
			TrainSeconds:           float64(t.stepSeconds),
			Evals:                  len(t.evals),
		}
		if i < len(cfg.Arms) {
			ac := cfg.Arms[i]
			a.Name, a.Strategy, a.Exec, a.M, a.LR = ac.Name, ac.Select.Strategy, ac.Exec, ac.Select.M, ac.LR
			if a.Name == "" {
				a.Name = ac.Select.Strategy
			}
		}
		if i < len(st.Arms) && st.Arms[i].Name != "" {
			a.Name = st.Arms[i].Name
		}
		if t.stepSeconds > 0 {
			a.StepsPerSecond = float64(t.steps) / t.stepSeconds
		}
		if n := len(t.evals); n > 0 {
			last := t.evals[n-1]
			a.TestLoss, a.TestAccuracy = float64(last.TestLoss), float64(last.TestAccuracy)
			a.TrainLoss = float64(last.TrainLoss)
		}
		if t.lossN > 0 { // steps after the last evaluation
			a.TrainLoss = float64(t.lossSum / float64(t.lossN))
		}
		if noisy && t.steps > 0 {
			f := float64(t.flippedSum / float64(t.steps))
			a.SelectedFlippedShare = &f
		}
		if to := reachOf(t.evals, target); to != nil {
			a.ToTarget = to
			n := to.ExamplesBackpropagated
			a.ExamplesBackpropagatedTo = &n
		}
		r.Arms = append(r.Arms, a)
		r.ExamplesBackpropagatedTo.Arms = append(r.ExamplesBackpropagatedTo.Arms, a.ExamplesBackpropagatedTo)
	}
	if len(r.Arms) == 2 {
		r.ExamplesBackpropagatedTo.Ratio = reachRatio(r.Arms[0].ToTarget, r.Arms[1].ToTarget, backpropOf)
		r.ExamplesBackpropagatedTo.ComputeRatio = reachRatio(r.Arms[0].ToTarget, r.Arms[1].ToTarget, computeOf)
	}
	if len(r.Arms) > 0 {
		a := r.Arms[0]
		r.Steps, r.ExamplesSeen, r.ExamplesBackpropagated = a.Steps, a.ExamplesSeen, a.ExamplesBackpropagated
		r.TrainLoss, r.TestLoss, r.TestAccuracy = a.TrainLoss, a.TestLoss, a.TestAccuracy
		r.StepsPerSecond, r.SelectedFlippedShare = a.StepsPerSecond, a.SelectedFlippedShare
	}
	return r
}

// reachOf returns where evals reached target by trainer.Reach, or nil.
func reachOf(evals []trainer.EvalEvent, target float64) *reachReport {
	accs := make([]float64, len(evals))
	for i, e := range evals {
		accs[i] = e.TestAccuracy
	}
	i := trainer.Reach(accs, target)
	if i < 0 {
		return nil
	}
	e := evals[i]
	return &reachReport{Step: e.Step, ExamplesBackpropagated: e.ExamplesBackprop, ExamplesForwarded: e.ExamplesForward, ComputeFLOPs: e.ComputeFLOPs}
}

func backpropOf(r *reachReport) float64 { return float64(r.ExamplesBackpropagated) }
func computeOf(r *reachReport) float64  { return float64(r.ComputeFLOPs) }

// reachRatio returns of(a)/of(b) when both reached the target, else nil.
func reachRatio(a, b *reachReport, of func(*reachReport) float64) *float64 {
	if a == nil || b == nil || of(b) <= 0 {
		return nil
	}
	r := float64(of(a) / of(b))
	return &r
}

// writeJSON writes r as one JSON object and a newline.
func writeJSON(w io.Writer, r trainReport) error {
	b, err := finitejson.Marshal(r) // a diverged run's NaN losses are null
	if err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeSummary writes the human summary of r.
func writeSummary(w io.Writer, r trainReport) error {
	var b strings.Builder
	status := r.Status
	if status == trainer.StateStopped && r.Reason == "" {
		status = "done"
	}
	fmt.Fprintf(&b, "%s, K=%d, seed %d: %s", r.Dataset, r.K, r.Seed, status)
	if r.Reason != "" {
		fmt.Fprintf(&b, " (%s)", r.Reason)
	}
	fmt.Fprintf(&b, ", %.1f s wall (%.1f s loading)\n", float64(r.WallSeconds), float64(r.LoadSeconds))
	if r.FlippedShare != nil {
		fmt.Fprintf(&b, "labels flipped in the training data: %.1f%%\n", 100*float64(*r.FlippedShare))
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "arm\tstrategy\texec\tM\tlr\tsteps\tseen\tforwarded\tbackprop\tcompute\ttrain loss\ttest loss\ttest acc\tsteps/s\tsel. flipped\tto target: step\tbackprop\tcompute")
	for _, a := range r.Arms {
		flipped, step, back, flops := "-", "not reached", "-", "-"
		if a.SelectedFlippedShare != nil {
			flipped = fmt.Sprintf("%.1f%%", 100*float64(*a.SelectedFlippedShare))
		}
		if t := a.ToTarget; t != nil {
			step, back, flops = strconv.FormatInt(t.Step, 10), strconv.FormatInt(t.ExamplesBackpropagated, 10), flopsText(t.ComputeFLOPs)
		}
		total := flopsText(a.ComputeFLOPs)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%g\t%d\t%d\t%d\t%d\t%s\t%.4f\t%.4f\t%.4f\t%.1f\t%s\t%s\t%s\t%s\n",
			a.Name, a.Strategy, a.Exec, a.M, a.LR, a.Steps, a.ExamplesSeen, a.ExamplesForwarded, a.ExamplesBackpropagated, total,
			float64(a.TrainLoss), float64(a.TestLoss), float64(a.TestAccuracy), float64(a.StepsPerSecond), flipped, step, back, flops)
	}
	tw.Flush()
	t := r.ExamplesBackpropagatedTo
	fmt.Fprintf(&b, "target: %.1f%% test accuracy, reached at the %s (evaluated every %d steps)", 100*t.TargetAccuracy, strings.TrimPrefix(t.Rule, "first "), t.EvalEvery)
	if t.Ratio != nil && len(r.Arms) == 2 {
		fmt.Fprintf(&b, "; %s needs %.2fx the backprop of %s", r.Arms[0].Name, float64(*t.Ratio), r.Arms[1].Name)
		if t.ComputeRatio != nil {
			fmt.Fprintf(&b, " and %.2fx its compute", float64(*t.ComputeRatio))
		}
	}
	b.WriteString("\nsteps/s counts training steps only (no data loading, evaluation or graph compilation)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

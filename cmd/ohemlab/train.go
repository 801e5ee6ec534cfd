package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
)

// Limits of the train command's own flags.
const (
	maxTrainSteps   = 10_000_000
	defaultSteps    = 468 // one MNIST epoch at K=128: 60,000/128 with the last partial batch dropped
	defaultTarget   = 0.95
	progressTickTTY = 200 * time.Millisecond
	progressTick    = 500 * time.Millisecond
)

// trainFlags are the flags of "ohemlab train".
type trainFlags struct {
	exp       expFlags
	steps     int64
	json      bool
	targetAcc float64
	progress  string
	seeds     string
	parallel  int
}

// newTrainFlags returns the flag set of "ohemlab train".
func newTrainFlags() (*flag.FlagSet, *trainFlags) {
	fs := flag.NewFlagSet("ohemlab train", flag.ContinueOnError)
	tf := &trainFlags{}
	tf.exp.register(fs)
	fs.Int64Var(&tf.steps, "steps", defaultSteps, fmt.Sprintf("training steps per arm, in [1, %d] (468 is one MNIST epoch at K=128, the last partial batch dropped)", maxTrainSteps))
	fs.BoolVar(&tf.json, "json", false, "print one JSON object with the results on stdout")
	fs.Float64Var(&tf.targetAcc, "target-acc", defaultTarget, "test accuracy for \"examples backpropagated to reach it\", in (0, 1]")
	fs.StringVar(&tf.seeds, "seeds", "", fmt.Sprintf("replicates: run every seed of a range or list, e.g. 1-5 or 1,3,7 (at most %d seeds; instead of --seed), and sum them up", maxSeeds))
	fs.IntVar(&tf.parallel, "parallel", 1, fmt.Sprintf("with --seeds, how many seeds train at once, in [1, %d]", maxParallel))
	fs.StringVar(&tf.progress, "progress", "auto", "progress on stderr: auto (a bar on a terminal, plain lines otherwise), bar, plain or none")
	return fs, tf
}

// check validates the train command's own flags.
func (tf *trainFlags) check() error {
	if tf.steps < 1 || tf.steps > maxTrainSteps {
		return usagef("--steps: must be in [1, %d], got %d", maxTrainSteps, tf.steps)
	}
	if !(tf.targetAcc > 0 && tf.targetAcc <= 1) {
		return usagef("--target-acc: must be in (0, 1], got %v", tf.targetAcc)
	}
	switch tf.progress {
	case "auto", "bar", "plain", "none":
	default:
		return usagef("--progress: must be auto, bar, plain or none, got %q", tf.progress)
	}
	if tf.parallel < 1 || tf.parallel > maxParallel {
		return usagef("--parallel: must be in [1, %d], got %d", maxParallel, tf.parallel)
	}
	return nil
}

// runTrain implements "ohemlab train".
func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, tf := newTrainFlags()
	err := parseFlags(fs, args, func() {
		printFlagUsage(stdout, "ohemlab train [flags]", "Train headless, then print a summary (or one JSON object with --json).", fs)
	})
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := tf.check(); err != nil {
		return err
	}
	cfg, err := tf.exp.config()
	if err != nil {
		return err
	}
	if err := validateConfig(cfg); err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	if tf.seeds != "" {
		return runReplicates(ctx, cfg, tf, stdout, stderr)
	}
	rep, err := trainOne(ctx, cfg, tf, tf.progress, stderr)
	if werr := writeReport(stdout, rep, tf.json); werr != nil {
		return werr
	}
	return err
}

// writeReport writes r as JSON or as the human summary.
func writeReport(w io.Writer, r trainReport, asJSON bool) error {
	if asJSON {
		return writeJSON(w, r)
	}
	return writeSummary(w, r)
}

// trainOne trains cfg for tf.steps steps with progress in the given mode on
// stderr and returns the report. The error says why the run ended early
// (divergence, interruption); the report is valid either way.
func trainOne(ctx context.Context, cfg trainer.Config, tf *trainFlags, progress string, stderr io.Writer) (trainReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	col := newCollector(len(cfg.Arms))
	col.onStatus = func(st trainer.StatusEvent) {
		if st.State == trainer.StateDiverged {
			cancel() // a headless run has nobody to lower the rate and resume
		}
	}

	start := time.Now()
	t, err := trainer.New(cfg, trainer.Options{Sink: col, MaxSteps: tf.steps})
	if err != nil {
		return trainReport{}, loadError(err)
	}
	load := time.Since(start).Seconds()

	stopProgress := startProgress(progress, stderr, tf.steps, col)
	runErr := t.Run(ctx)
	stopProgress()
	wall := time.Since(start).Seconds()

	st := t.State()
	tallies, last := col.snapshot()
	if last.State == trainer.StateDiverged {
		st.Status, st.Reason = last.State, last.Reason
	}
	rep := buildReport(cfg, st, tallies, tf.targetAcc, wall, load)
	switch {
	case last.State == trainer.StateDiverged:
		// The trainer's advice is the dashboard's (resume, reset); here
		// the way on is another run.
		reason, _ := strings.CutSuffix(last.Reason, ": lower the learning rate and resume, or reset")
		return rep, fmt.Errorf("training diverged: %s; try a lower --lr", reason)
	case runErr != nil:
		return rep, fmt.Errorf("training stopped: %w", runErr)
	case rep.Steps < tf.steps && st.Reason != "":
		return rep, fmt.Errorf("training stopped after %d of %d steps: %s", rep.Steps, tf.steps, st.Reason)
	case rep.Steps < tf.steps:
		return rep, fmt.Errorf("training interrupted after %d of %d steps", rep.Steps, tf.steps)
	}
	return rep, nil
}

// startProgress shows progress on w until the returned function is called;
// the function draws the final state and returns once drawing stopped.
func startProgress(mode string, w io.Writer, total int64, col *collector) func() {
	tty := isTerminal(w)
	switch mode {
	case "none":
		return func() {}
	case "bar":
		tty = true
	case "plain":
		tty = false
	}
	p := newProgress(w, tty, total)
	tick := progressTick
	if tty {
		tick = progressTickTTY
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tk := time.NewTicker(tick)
		defer tk.Stop()
		for {
			select {
			case <-done:
				tallies, _ := col.snapshot()
				p.update(tallies)
				p.finish()
				return
			case <-tk.C:
				tallies, _ := col.snapshot()
				p.update(tallies)
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

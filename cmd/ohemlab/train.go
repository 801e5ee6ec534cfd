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
	defaultSteps    = 469 // one MNIST epoch at K=128
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
}

// newTrainFlags returns the flag set of "ohemlab train".
func newTrainFlags() (*flag.FlagSet, *trainFlags) {
	fs := flag.NewFlagSet("ohemlab train", flag.ContinueOnError)
	tf := &trainFlags{}
	tf.exp.register(fs)
	fs.Int64Var(&tf.steps, "steps", defaultSteps, fmt.Sprintf("training steps per arm, in [1, %d] (469 is one MNIST epoch at K=128)", maxTrainSteps))
	fs.BoolVar(&tf.json, "json", false, "print one JSON object with the results on stdout")
	fs.Float64Var(&tf.targetAcc, "target-acc", defaultTarget, "test accuracy for \"examples backpropagated to reach it\", in (0, 1]")
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
		return loadError(err)
	}
	load := time.Since(start).Seconds()

	stopProgress := startProgress(tf.progress, stderr, tf.steps, col)
	runErr := t.Run(ctx)
	stopProgress()
	wall := time.Since(start).Seconds()

	st := t.State()
	tallies, last := col.snapshot()
	if last.State == trainer.StateDiverged {
		st.Status, st.Reason = last.State, last.Reason
	}
	rep := buildReport(cfg, st, tallies, tf.targetAcc, wall, load)
	if tf.json {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else if err := writeSummary(stdout, rep); err != nil {
		return err
	}
	switch {
	case last.State == trainer.StateDiverged:
		// The trainer's advice is the dashboard's (resume, reset); here
		// the way on is another run.
		reason, _ := strings.CutSuffix(last.Reason, ": lower the learning rate and resume, or reset")
		return fmt.Errorf("training diverged: %s; try a lower --lr", reason)
	case runErr != nil:
		return fmt.Errorf("training stopped: %w", runErr)
	case rep.Steps < tf.steps && st.Reason != "":
		return fmt.Errorf("training stopped after %d of %d steps: %s", rep.Steps, tf.steps, st.Reason)
	case rep.Steps < tf.steps:
		return fmt.Errorf("training interrupted after %d of %d steps", rep.Steps, tf.steps)
	}
	return nil
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

// Command ohemstep times OHEM Lab's training step the way the PyTorch
// reference (torch_ohem.py) times its own: one arm on MNIST, a number of
// warm-up steps, then the per-step wall times of the timed steps. It drives
// the trainer package directly, so the figure is the engine's, without the
// command line around it.
//
// It prints one line, in the reference's format:
//
//	RESULT {"impl":"ohemlab","blas":"gemm","strategy":"twopass","steps_per_s":...}
//
// The strategy names are the reference's: plain (strategy all), twopass and
// mask (strategy topk with that execution).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ohemstep:", err)
		os.Exit(2)
	}
}

// run parses args, trains and writes the RESULT line to w.
func run(ctx context.Context, args []string, w io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	r, err := measure(ctx, o)
	if err != nil {
		return err
	}
	js, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "RESULT %s\n", js)
	return err
}

// options are the command-line settings.
type options struct {
	dataDir  string
	strategy string // plain, twopass or mask
	k        int
	ratio    float64
	lr       float64
	steps    int
	warmup   int
	seed     int64
	// dense turns off the first layer's sparse-input products, for
	// comparing them with the dense product the reference computes.
	dense bool
	// cpuProfile and memProfile name pprof files to write; the CPU profile
	// covers the timed steps only, the heap profile (alloc_space) the run.
	cpuProfile, memProfile string
}

// parseOptions reads the flags; every range error names its flag.
func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("ohemstep", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.dataDir, "data", "", "folder with the MNIST idx .gz files (default: the GoMNIST module's)")
	fs.StringVar(&o.strategy, "strategy", "twopass", "plain, twopass or mask")
	fs.IntVar(&o.k, "K", 128, "batch size, 2..4096")
	fs.Float64Var(&o.ratio, "ratio", 0.25, "kept share: M = int(ratio*K), in (0, 1]")
	fs.Float64Var(&o.lr, "lr", 0.1, "learning rate, in (0, 10]")
	fs.IntVar(&o.steps, "steps", 500, "timed steps, 1..100000")
	fs.IntVar(&o.warmup, "warmup", 30, "untimed steps before them, 0..100000")
	fs.Int64Var(&o.seed, "seed", 1, "seed")
	fs.BoolVar(&o.dense, "dense", false, "always multiply the first layer densely (no sparse-input products)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the timed steps to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file after the run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.strategy != "plain" && o.strategy != "twopass" && o.strategy != "mask":
		return o, fmt.Errorf("-strategy %q: want plain, twopass or mask", o.strategy)
	case o.k < 2 || o.k > 4096:
		return o, fmt.Errorf("-K %d out of range 2..4096", o.k)
	case !(o.ratio > 0 && o.ratio <= 1):
		return o, fmt.Errorf("-ratio %g out of range (0, 1]", o.ratio)
	case int(o.ratio*float64(o.k)) < 1:
		return o, fmt.Errorf("-ratio %g keeps no example of K=%d", o.ratio, o.k)
	case !(o.lr > 0 && o.lr <= 10):
		return o, fmt.Errorf("-lr %g out of range (0, 10]", o.lr)
	case o.steps < 1 || o.steps > 100000:
		return o, fmt.Errorf("-steps %d out of range 1..100000", o.steps)
	case o.warmup < 0 || o.warmup > 100000:
		return o, fmt.Errorf("-warmup %d out of range 0..100000", o.warmup)
	}
	return o, nil
}

// Result is what ohemstep reports, with the reference's field names where
// they mean the same thing.
type Result struct {
	Impl     string `json:"impl"`
	BLAS     string `json:"blas"`
	Strategy string `json:"strategy"`
	// SparseInputs is false with -dense: the first layer multiplied
	// densely, as the reference does, instead of over the non-zero
	// inputs of sparse batches.
	SparseInputs bool `json:"sparse_inputs"`
	K            int  `json:"K"`
	M            int  `json:"M"`
	Threads      int  `json:"threads"` // GOMAXPROCS
	// TimedSteps, TimedSeconds, StepsPerS and the step percentiles cover
	// the training step as the trainer times it (BatchEvent.StepSeconds).
	TimedSteps   int     `json:"timed_steps"`
	TimedSeconds float64 `json:"timed_seconds"`
	StepsPerS    float64 `json:"steps_per_s"`
	MedianStepMS float64 `json:"median_step_ms"`
	P90StepMS    float64 `json:"p90_step_ms"`
	// LoopStepsPerS is the rate at which the whole training loop delivered
	// the timed steps' events: the step plus event building, statistics
	// and publishing.
	LoopStepsPerS float64 `json:"loop_steps_per_s"`
	// ObjectiveLast50 is the mean batch loss of the last 50 steps, a check
	// that the run trained.
	ObjectiveLast50 float64 `json:"objective_last50"`
}

var errNoSteps = errors.New("trainer stopped before the timed steps")

// goVersion is the Go release that built the binary (for the impl field).
var goVersion = runtime.Version()

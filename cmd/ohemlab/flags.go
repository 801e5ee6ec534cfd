package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer"
)

// expFlags are the experiment flags shared by serve and train. Only the
// flags given on the command line override the dataset's preset
// (trainer.DefaultConfig).
type expFlags struct {
	fs *flag.FlagSet

	dataset, dataDir string
	size             int
	noise, posFrac   float64
	posDigit         int
	testFrac         float64
	labelNoise       float64

	hidden, activation, optimizer string
	momentum                      float64

	k         int
	strategy  string
	compare   string
	m         int
	ratio     float64
	thresh    float64
	minKept   int
	negPos    float64
	minNeg    int
	beta      float64
	refresh   int
	pool      int
	hard      int
	lr        float64
	exec      string
	focalG    float64
	focalA    float64
	seed      int64
	evalEvery int
	speedCap  float64
}

// register adds the experiment flags to fs.
func (e *expFlags) register(fs *flag.FlagSet) {
	e.fs = fs
	fs.StringVar(&e.dataset, "dataset", "mnist", "dataset: mnist, mnist-detect, circle, xor, gauss, spiral, moons or csv:PATH")
	fs.StringVar(&e.dataDir, "data-dir", "", "folder with the MNIST idx .gz files (default: the GoMNIST module's data folder)")
	fs.IntVar(&e.size, "size", 0, "points of a 2-D set, train+test (default: the preset's)")
	fs.Float64Var(&e.noise, "noise", 0, "geometric noise of a 2-D set (default: the preset's)")
	fs.Float64Var(&e.posFrac, "pos-frac", 0, "fraction of positives for mnist-detect and 2-D sets (default: the dataset's)")
	fs.IntVar(&e.posDigit, "pos-digit", 3, "mnist-detect's positive digit, 0-9")
	fs.Float64Var(&e.testFrac, "test-frac", 0, "test share of a 2-D or CSV set (default 0.2)")
	fs.Float64Var(&e.labelNoise, "label-noise", 0, "fraction of training labels flipped, in [0, 1)")

	fs.StringVar(&e.hidden, "hidden", "", "hidden layer widths, comma separated (default 256 for MNIST, 16,16 for 2-D sets)")
	fs.StringVar(&e.activation, "activation", "", "hidden activation: relu or tanh (default relu)")
	fs.StringVar(&e.optimizer, "optimizer", "", "optimiser: sgd or adam (default sgd)")
	fs.Float64Var(&e.momentum, "momentum", 0, "SGD momentum, in [0, 1)")

	fs.IntVar(&e.k, "k", 0, "batch size K (default 128 for MNIST)")
	fs.StringVar(&e.strategy, "strategy", "", "selection strategy: "+strings.Join(ohem.Strategies, ", ")+" (default topk)")
	fs.StringVar(&e.compare, "compare", "", "two strategies trained side by side on identical batches, e.g. topk,random (replaces --strategy)")
	fs.IntVar(&e.m, "m", 0, "examples kept per batch, 1 <= M <= K (default 32 for MNIST)")
	fs.Float64Var(&e.ratio, "ratio", 0, "kept share of the batch, in (0, 1]: sets M = int(ratio*K) (instead of --m)")
	fs.Float64Var(&e.thresh, "thresh", 0, "threshold strategy: keep examples whose true-class probability is below this, in (0, 1] (default 0.7)")
	fs.IntVar(&e.minKept, "min-kept", 0, "threshold strategy: keep at least this many (default M)")
	fs.Float64Var(&e.negPos, "neg-pos", 0, "hardneg strategy: negatives per positive (default 3)")
	fs.IntVar(&e.minNeg, "min-neg", 0, "hardneg strategy: keep at least this many negatives (default 1)")
	fs.Float64Var(&e.beta, "beta", 0, "selective strategy: exponent on the loss percentile (default 3)")
	fs.IntVar(&e.refresh, "refresh", 0, fmt.Sprintf("offline strategy: steps between two scans of the pool (default %d)", ohem.DefaultRefresh))
	fs.IntVar(&e.pool, "pool", 0, fmt.Sprintf("offline strategy: training examples scored per scan, forward only (default %d)", ohem.DefaultPool))
	fs.IntVar(&e.hard, "hard", 0, fmt.Sprintf("offline strategy: hardest pool examples kept, each step trains on M of them (default a quarter of the pool, %d)", ohem.DefaultHard))
	fs.Float64Var(&e.lr, "lr", 0, "learning rate, > 0 (default 0.1 for MNIST)")
	fs.StringVar(&e.exec, "exec", "", "OHEM execution: twopass or mask (default twopass)")
	fs.Float64Var(&e.focalG, "focal-gamma", 0, "focal loss gamma, 0 = plain cross-entropy (2 is usual)")
	fs.Float64Var(&e.focalA, "focal-alpha", 0, "focal loss alpha: weight of class 1 (0 = off)")
	fs.Int64Var(&e.seed, "seed", 1, "seed of data, label noise, batch order, weights and selectors")
	fs.IntVar(&e.evalEvery, "eval-every", 0, "steps between evaluations on the test set (default 100)")
	fs.Float64Var(&e.speedCap, "speed-cap", 0, "limit training to this many steps per second (0 = no cap)")
}

// positiveFlags are the experiment flags whose zero value means "the
// default" in the config, so an explicit 0 is refused.
var positiveFlags = []string{"k", "m", "lr", "size", "thresh", "beta", "neg-pos", "test-frac", "pos-frac", "refresh", "pool", "hard"}

// given reports which flags were set on the command line.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// config builds the experiment config: the dataset's preset with every flag
// given on the command line applied over it. It checks what the trainer
// cannot see (flag syntax, flag combinations) and leaves value ranges to
// trainer.Config.Validate.
func (e *expFlags) config() (trainer.Config, error) {
	set := given(e.fs)
	// In the config zero means "the default"; on the command line an
	// explicit zero is a mistake.
	for _, name := range positiveFlags {
		if set[name] {
			if v, err := strconv.ParseFloat(e.fs.Lookup(name).Value.String(), 64); err == nil && v == 0 {
				return trainer.Config{}, usagef("--%s: must be greater than 0 (leave the flag out for the default)", name)
			}
		}
	}
	cfg := trainer.DefaultConfig(e.dataset)
	cfg.Data.Name = e.dataset
	cfg.Data.Dir = e.dataDir
	if set["size"] {
		cfg.Data.Size = e.size
	}
	if set["noise"] {
		cfg.Data.Noise = e.noise
	}
	if set["pos-frac"] {
		cfg.Data.PosFrac = e.posFrac
	}
	if set["pos-digit"] {
		d := e.posDigit
		cfg.Data.PosDigit = &d
	}
	if set["test-frac"] {
		cfg.Data.TestFrac = e.testFrac
	}
	if set["label-noise"] {
		cfg.Data.LabelNoise = e.labelNoise
	}
	if set["hidden"] {
		h, err := parseWidths(e.hidden)
		if err != nil {
			return cfg, usagef("--hidden: %v", err)
		}
		cfg.Model.Hidden = h
	}
	if set["activation"] {
		cfg.Model.Activation = e.activation
	}
	if set["optimizer"] {
		cfg.Model.Optimizer = e.optimizer
	}
	if set["momentum"] {
		cfg.Model.Momentum = e.momentum
	}
	if set["k"] {
		cfg.K = e.k
	}
	if set["seed"] {
		cfg.Seed = e.seed
	}
	if set["eval-every"] {
		if e.evalEvery < 1 {
			return cfg, usagef("--eval-every: must be at least 1, got %d", e.evalEvery)
		}
		cfg.EvalEvery = e.evalEvery
	}
	if set["speed-cap"] {
		cfg.SpeedCap = e.speedCap
	}
	if set["m"] && set["ratio"] {
		return cfg, usagef("--m and --ratio both set: give one of them")
	}
	if set["compare"] && set["strategy"] {
		return cfg, usagef("--compare and --strategy both set: --compare names the strategy of each arm")
	}

	if len(cfg.Arms) == 0 {
		cfg.Arms = []trainer.ArmConfig{{Select: ohem.Params{Strategy: ohem.TopK}}}
	}
	base := cfg.Arms[0]
	if set["compare"] {
		names, err := parseCompare(e.compare)
		if err != nil {
			return cfg, usagef("--compare: %v", err)
		}
		cfg.Arms = cfg.Arms[:0:0]
		for _, n := range names {
			a := base
			a.Name = n
			a.Select.Strategy = n
			cfg.Arms = append(cfg.Arms, a)
		}
	}
	for i := range cfg.Arms {
		if err := e.applyArm(&cfg.Arms[i], cfg.K, set); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// applyArm applies the per-arm flags to a.
func (e *expFlags) applyArm(a *trainer.ArmConfig, k int, set map[string]bool) error {
	if set["strategy"] {
		a.Select.Strategy = e.strategy
		a.Name = ""
	}
	if set["m"] {
		a.Select.M = e.m
	}
	if set["ratio"] {
		if !(e.ratio > 0 && e.ratio <= 1) {
			return usagef("--ratio: must be in (0, 1], got %v", e.ratio)
		}
		m := int(e.ratio * float64(k))
		if m < 1 {
			return usagef("--ratio: ratio*K must be at least 1 (K=%d, ratio %v gives M=%d)", k, e.ratio, m)
		}
		a.Select.M = m
	}
	if set["thresh"] {
		a.Select.Thresh = e.thresh
	}
	if set["min-kept"] {
		a.Select.MinKept = e.minKept
	}
	if set["neg-pos"] {
		a.Select.NegPos = e.negPos
	}
	if set["min-neg"] {
		a.Select.MinNeg = e.minNeg
	}
	if set["beta"] {
		a.Select.Beta = e.beta
	}
	if set["refresh"] {
		a.Select.Refresh = e.refresh
	}
	if set["pool"] {
		a.Select.Pool = e.pool
	}
	if set["hard"] {
		a.Select.Hard = e.hard
	}
	if set["lr"] {
		a.LR = e.lr
	}
	if set["exec"] {
		a.Exec = e.exec
	}
	if set["focal-gamma"] {
		a.FocalGamma = e.focalG
	}
	if set["focal-alpha"] {
		a.FocalAlpha = e.focalA
	}
	return nil
}

// parseWidths parses "256" or "16,16" into layer widths.
func parseWidths(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > trainer.MaxWidth {
			return nil, fmt.Errorf("want comma-separated widths in [1, %d], e.g. 256 or 16,16; got %q", trainer.MaxWidth, s)
		}
		out = append(out, n)
	}
	if len(out) > trainer.MaxLayers {
		return nil, fmt.Errorf("want at most %d hidden layers, got %d", trainer.MaxLayers, len(out))
	}
	return out, nil
}

// parseCompare parses the two strategy names of --compare.
func parseCompare(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return nil, fmt.Errorf("want exactly two comma-separated strategies, e.g. topk,random; got %q", s)
	}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if !isStrategy(p) {
			return nil, fmt.Errorf("unknown strategy %q: want one of %s", p, strings.Join(ohem.Strategies, ", "))
		}
		parts[i] = p
	}
	return parts, nil
}

func isStrategy(s string) bool {
	for _, x := range ohem.Strategies {
		if s == x {
			return true
		}
	}
	return false
}

// parseFlags parses args into fs, turning the flag package's errors into
// one-line usage errors that name the flag with two dashes. It returns
// flag.ErrHelp after printing the usage to stdout when asked for help.
func parseFlags(fs *flag.FlagSet, args []string, usage func()) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return flag.ErrHelp
	}
	if err != nil {
		return &usageError{msg: flagErrorMessage(err.Error())}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	return nil
}

// flagErrorMessage rewrites the flag package's messages so that they lead
// with the flag's name, spelled with two dashes.
func flagErrorMessage(msg string) string {
	// invalid value "x" for flag -k: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			val := rest[:i]
			name, reason, _ := strings.Cut(rest[i+len(" for flag -"):], ": ")
			return fmt.Sprintf("--%s: invalid value %s: %s", name, val, reason)
		}
	}
	for _, p := range []string{"flag provided but not defined: -", "flag needs an argument: -", "bad flag syntax: "} {
		if name, ok := strings.CutPrefix(msg, p); ok {
			return strings.TrimSuffix(p, "-") + "--" + strings.TrimLeft(name, "-")
		}
	}
	return msg
}

// printFlagUsage prints a command's usage line, description and flags with
// two-dash names, sorted.
func printFlagUsage(w io.Writer, usage, desc string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n", usage, desc)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, n := range names {
		f := fs.Lookup(n)
		typ, help := flag.UnquoteUsage(f)
		line := "  --" + n
		if typ != "" {
			line += " " + typ
		}
		fmt.Fprintf(w, "%s\n      %s", line, help)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && !strings.Contains(help, "default") {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	}
}

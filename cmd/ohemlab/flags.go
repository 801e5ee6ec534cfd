package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// expFlags are the experiment flags shared by serve and train: one per row
// of the experiment's field table that has a flag, plus --data-dir and
// --compare. Only the flags given on the command line override the
// dataset's preset (experiment.Default).
type expFlags struct {
	fs *flag.FlagSet

	dataDir string
	compare string
	fields  []*fieldFlag // table order
}

// fieldFlag is the flag of one table field. It keeps the text given; the
// table's Parse checks it when the config is built, so that the message
// is the table's.
type fieldFlag struct {
	f    *experiment.Field
	text string
}

func (v *fieldFlag) String() string { return v.text }

func (v *fieldFlag) Set(s string) error { v.text = s; return nil }

// typeName is the value's name in the help: int, float or string.
func (v *fieldFlag) typeName() string {
	switch v.f.Kind {
	case experiment.KindInt:
		return "int"
	case experiment.KindNumber:
		return "float"
	}
	return "string"
}

// register adds the experiment flags to fs.
func (e *expFlags) register(fs *flag.FlagSet) {
	e.fs = fs
	fs.StringVar(&e.dataDir, "data-dir", "", "folder with the MNIST idx .gz files (default: the GoMNIST module's data folder)")
	fs.StringVar(&e.compare, "compare", "", "two strategies trained side by side on identical batches, e.g. topk,random (replaces --strategy)")
	for _, f := range experiment.Fields() {
		if f.Flag == "" {
			continue
		}
		v := &fieldFlag{f: &f}
		e.fields = append(e.fields, v)
		fs.Var(v, f.Flag, fieldHelp(&f))
	}
}

// fieldHelp is a field's help line: its description, what it accepts and
// its default.
func fieldHelp(f *experiment.Field) string {
	h := f.Help + "; " + f.Want(nil)
	if f.Default != "" && !strings.Contains(h, "default") && f.Zero == "" {
		h += " (default " + f.Default + ")"
	}
	return h
}

// given reports which flags were set on the command line.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// config builds the experiment config: the dataset's preset with every flag
// given on the command line applied over it. A value out of its field's
// range is a usage error naming the flag; ranges between fields are
// checked by validateConfig.
func (e *expFlags) config() (trainer.Config, error) {
	set := given(e.fs)
	if set["m"] && set["ratio"] {
		return trainer.Config{}, usagef("--m and --ratio both set: give one of them")
	}
	if set["compare"] && set["strategy"] {
		return trainer.Config{}, usagef("--compare and --strategy both set: --compare names the strategy of each arm")
	}
	dataset := data.MNIST
	for _, v := range e.fields {
		if v.f.Key == "dataset" && set[v.f.Flag] {
			dataset = v.text
		}
	}
	cfg := experiment.Default(dataset)
	cfg.Data.Dir = e.dataDir
	for _, v := range e.fields {
		if !set[v.f.Flag] || v.f.Arm {
			continue
		}
		if err := v.f.Set(&cfg, -1, v.text); err != nil {
			return cfg, flagError(err)
		}
	}
	if set["compare"] {
		names, err := parseCompare(e.compare)
		if err != nil {
			return cfg, usagef("--compare: %v", err)
		}
		base := cfg.Arms[0]
		cfg.Arms = cfg.Arms[:0:0]
		for _, n := range names {
			a := base
			a.Name = n
			a.Select.Strategy = n
			cfg.Arms = append(cfg.Arms, a)
		}
	}
	for i := range cfg.Arms {
		if err := e.applyArm(&cfg, i, set); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// applyArm applies the per-arm flags to arm i of cfg.
func (e *expFlags) applyArm(cfg *trainer.Config, i int, set map[string]bool) error {
	for _, v := range e.fields {
		if !set[v.f.Flag] || !v.f.Arm {
			continue
		}
		if v.f.Key == "ratio" {
			r, err := v.f.Parse(v.text, i)
			if err != nil {
				return flagError(err)
			}
			cfg.Arms[i].Select.M = experiment.KeptOf(r.(float64), cfg.K)
			continue
		}
		if err := v.f.Set(cfg, i, v.text); err != nil {
			return flagError(err)
		}
		if v.f.Key == "strategy" {
			cfg.Arms[i].Name = "" // the default name follows the strategy
		}
	}
	return nil
}

// parseCompare parses the two strategy names of --compare.
func parseCompare(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	if len(parts) != experiment.MaxArms {
		return nil, fmt.Errorf("want exactly %d comma-separated strategies, e.g. topk,random; got %q", experiment.MaxArms, s)
	}
	strategy := experiment.Lookup("strategy")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if _, err := strategy.Parse(p, i); err != nil {
			return nil, fmt.Errorf("unknown strategy %q: want one of %s", p, strings.Join(strategy.Choices, ", "))
		}
		parts[i] = p
	}
	return parts, nil
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
		if v, ok := f.Value.(*fieldFlag); ok {
			typ = v.typeName()
		}
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

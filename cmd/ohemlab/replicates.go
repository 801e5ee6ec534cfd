package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/ohemlab/ohemlab/trainer"
)

// Limits of --seeds and --parallel.
const (
	maxSeeds    = 1000
	maxParallel = 64
)

// parseSeeds parses --seeds: comma-separated seeds and inclusive ranges
// such as "1-5", "1,3,7" or "1-3,10". Seeds may be negative ("-2--1" is
// -2 and -1); duplicates are an error, and so are more than maxSeeds seeds.
// The seeds come back in the order given.
func parseSeeds(s string) ([]int64, error) {
	bad := func(part string) error {
		return fmt.Errorf("want seeds as a range or a comma-separated list, e.g. 1-5 or 1,3,7; got %q", part)
	}
	var out []int64
	seen := map[int64]bool{}
	add := func(v int64) error {
		if seen[v] {
			return fmt.Errorf("seed %d given twice", v)
		}
		if len(out) == maxSeeds {
			return fmt.Errorf("more than %d seeds", maxSeeds)
		}
		seen[v] = true
		out = append(out, v)
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, bad(s)
		}
		// A range's dash is the first one after the first character, so
		// a leading minus belongs to the number.
		if i := strings.Index(part[1:], "-"); i >= 0 {
			lo, err1 := strconv.ParseInt(strings.TrimSpace(part[:i+1]), 10, 64)
			hi, err2 := strconv.ParseInt(strings.TrimSpace(part[i+2:]), 10, 64)
			if err1 != nil || err2 != nil {
				return nil, bad(part)
			}
			if hi < lo {
				return nil, fmt.Errorf("range %q runs backwards: want low-high", part)
			}
			if hi-lo >= maxSeeds {
				return nil, fmt.Errorf("more than %d seeds", maxSeeds)
			}
			for v := lo; ; v++ {
				if err := add(v); err != nil {
					return nil, err
				}
				if v == hi {
					break
				}
			}
			continue
		}
		v, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, bad(part)
		}
		if err := add(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// runReplicates trains cfg once per seed of --seeds, at most --parallel at
// once, and prints one report: the first seed's figures with, per arm,
// every seed's result (replicates) and their summary.
func runReplicates(ctx context.Context, cfg trainer.Config, tf *trainFlags, stdout, stderr io.Writer) error {
	if given(tf.exp.fs)["seed"] {
		return usagef("--seed and --seeds both set: give one of them")
	}
	seeds, err := parseSeeds(tf.seeds)
	if err != nil {
		return usagef("--seeds: %v", err)
	}
	reps := make([]trainReport, len(seeds))
	errs := make([]error, len(seeds))
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex // serialises the progress lines
		sem = make(chan struct{}, tf.parallel)
	)
	for i, seed := range seeds {
		// Seeds start in the order given, at most --parallel at once.
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = fmt.Errorf("seed %d: not started: interrupted", seed)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := cfg
			c.Seed = seed
			rep, err := trainOne(ctx, c, tf, "none", stderr)
			if err != nil {
				err = fmt.Errorf("seed %d: %w", seed, err)
			}
			reps[i], errs[i] = rep, err
			if tf.progress != "none" {
				mu.Lock()
				fmt.Fprintln(stderr, seedLine(seed, rep, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(reps) > 0 && reps[0].Dataset == "" && errs[0] != nil {
		// The first seed never started training (bad data): nothing to report.
		return errs[0]
	}
	rep := combineReplicates(seeds, reps)
	if tf.json {
		err = writeJSON(stdout, rep)
	} else {
		err = writeReplicateSummary(stdout, rep)
	}
	if err != nil {
		return err
	}
	return errors.Join(slices.DeleteFunc(errs, func(e error) bool { return e == nil })...)
}

// seedLine is the progress line of a finished seed.
func seedLine(seed int64, r trainReport, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: ", seed)
	if err != nil {
		b.WriteString(err.Error())
		return b.String()
	}
	for i, a := range r.Arms {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s test accuracy %.4f", a.Name, float64(a.TestAccuracy))
	}
	fmt.Fprintf(&b, " (%.1f s)", float64(r.WallSeconds))
	return b.String()
}

// combineReplicates returns the first seed's report with the seeds, every
// arm's replicates and summary, and the ratio summaries.
func combineReplicates(seeds []int64, reps []trainReport) trainReport {
	out := reps[0]
	out.Seeds = seeds
	out.Arms = slices.Clone(out.Arms)
	for i := range out.Arms {
		var rs []armReport
		for j, r := range reps {
			if i < len(r.Arms) {
				a := r.Arms[i]
				seed := seeds[j]
				a.Seed = &seed
				rs = append(rs, a)
			}
		}
		out.Arms[i].Replicates = rs
		out.Arms[i].Summary = summarizeArm(rs)
	}
	if len(out.Arms) == 2 {
		a, b := out.Arms[0].Replicates, out.Arms[1].Replicates
		out.ExamplesBackpropagatedTo.RatioSummary = ratioStat(a, b, backpropOf)
		out.ExamplesBackpropagatedTo.ComputeRatioSummary = ratioStat(a, b, computeOf)
	}
	return out
}

// pm formats a stat as "mean ± sd" with the given verb, or "-" without
// values.
func pm(s stat, verb string) string {
	if s.N == 0 {
		return "-"
	}
	return fmt.Sprintf(verb+" ± "+verb, float64(s.Mean), float64(s.SD))
}

// writeReplicateSummary writes the human summary of a replicates report.
func writeReplicateSummary(w io.Writer, r trainReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, K=%d, %d seeds (%s), mean ± sd over seeds\n", r.Dataset, r.K, len(r.Seeds), seedList(r.Seeds))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "arm\tstrategy\tM\ttest acc\tmin-max\treached\tsteps to target\tbackprop to target\tforwarded to target\tcompute to target")
	for _, a := range r.Arms {
		s := a.Summary
		if s == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.4f-%.4f\t%d/%d\t%s\t%s\t%s\t%s\n",
			a.Name, a.Strategy, a.M, pm(s.TestAccuracy, "%.4f"), float64(s.TestAccuracy.Min), float64(s.TestAccuracy.Max),
			s.StepsTo.Reached, s.StepsTo.Seeds, pm(s.StepsTo.stat, "%.0f"),
			pm(s.ExamplesBackpropagatedTo.stat, "%.0f"), pm(s.ExamplesForwardedTo.stat, "%.0f"),
			flopsPM(s.ComputeFLOPsTo.stat))
	}
	tw.Flush()
	t := r.ExamplesBackpropagatedTo
	fmt.Fprintf(&b, "target: %.1f%% test accuracy, reached at the %s (evaluated every %d steps)\n", 100*t.TargetAccuracy, strings.TrimPrefix(t.Rule, "first "), t.EvalEvery)
	if len(r.Arms) == 2 {
		if t.RatioSummary != nil {
			fmt.Fprintf(&b, "%s/%s to target: backprop %s, compute %s (over the %d seeds where both reached it)\n",
				r.Arms[0].Name, r.Arms[1].Name, pm(*t.RatioSummary, "%.3f"), pm(derefStat(t.ComputeRatioSummary), "%.3f"), t.RatioSummary.N)
		} else {
			fmt.Fprintf(&b, "%s/%s to target: no seed where both arms reached it\n", r.Arms[0].Name, r.Arms[1].Name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// flopsPM formats a FLOP count stat as "mean ± sd" with one SI prefix
// chosen by the mean, e.g. "12.3 ± 0.4 TFLOP", or "-" without values.
func flopsPM(s stat) string {
	if s.N == 0 {
		return "-"
	}
	scale, unit := flopUnit(float64(s.Mean))
	return fmt.Sprintf("%.3g ± %.2g %s", float64(s.Mean)/scale, float64(s.SD)/scale, unit)
}

// flopsText formats a FLOP count with an SI prefix, e.g. "1.52 TFLOP".
func flopsText(n int64) string {
	scale, unit := flopUnit(float64(n))
	return fmt.Sprintf("%.3g %s", float64(n)/scale, unit)
}

// flopUnit returns the SI scale and unit for a FLOP count x.
func flopUnit(x float64) (float64, string) {
	for _, p := range []struct {
		f float64
		u string
	}{{1e15, "PFLOP"}, {1e12, "TFLOP"}, {1e9, "GFLOP"}, {1e6, "MFLOP"}, {1e3, "kFLOP"}} {
		if math.Abs(x) >= p.f {
			return p.f, p.u
		}
	}
	return 1, "FLOP"
}

func derefStat(s *stat) stat {
	if s == nil {
		return stat{}
	}
	return *s
}

// seedList formats seeds compactly: "1-5" for a run, else "1,3,7".
func seedList(seeds []int64) string {
	if n := len(seeds); n > 1 && seeds[n-1]-seeds[0] == int64(n-1) && slices.IsSorted(seeds) {
		return fmt.Sprintf("%d-%d", seeds[0], seeds[n-1])
	}
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = strconv.FormatInt(s, 10)
	}
	return strings.Join(parts, ",")
}

package main

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseSeeds(t *testing.T) {
	tests := []struct {
		in      string
		want    []int64
		wantErr string
	}{
		{"1-5", []int64{1, 2, 3, 4, 5}, ""},
		{"1,3,7", []int64{1, 3, 7}, ""},
		{" 1 - 3 , 10", []int64{1, 2, 3, 10}, ""},
		{"7", []int64{7}, ""},
		{"-2--1", []int64{-2, -1}, ""},
		{"-3,4", []int64{-3, 4}, ""},
		{"5-5", []int64{5}, ""},
		{"", nil, "want seeds as a range or a comma-separated list"},
		{"1,,2", nil, "want seeds as a range"},
		{"a-b", nil, `got "a-b"`},
		{"5-1", nil, `range "5-1" runs backwards`},
		{"1-3,2", nil, "seed 2 given twice"},
		{"1-1000", seq(1, 1000), ""},
		{"1-1001", nil, "more than 1000 seeds"},
		{"0-9223372036854775807", nil, "more than 1000 seeds"},
		{"1.5", nil, `got "1.5"`},
	}
	for _, tc := range tests {
		got, err := parseSeeds(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseSeeds(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseSeeds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func seq(lo, hi int64) []int64 {
	var out []int64
	for v := lo; v <= hi; v++ {
		out = append(out, v)
	}
	return out
}

// replicateJSON runs train --json with args and decodes the report into
// the report type.
func replicateJSON(t *testing.T, args ...string) trainReport {
	t.Helper()
	var out, errOut strings.Builder
	args = append([]string{"train", "--json", "--progress", "none"}, args...)
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run(%q) = %v\nstderr:\n%s", args, err, errOut.String())
	}
	var r trainReport
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, out.String())
	}
	return r
}

// TestReplicatesDeterministicInParallel runs three seeds of a two-arm
// comparison one at a time and two at a time: every seed's result must be
// the same either way, and the same as a lone run of that seed.
func TestReplicatesDeterministicInParallel(t *testing.T) {
	args := []string{"--dataset", "moons", "--size", "400", "--compare", "topk,offline", "--steps", "60",
		"--eval-every", "10", "--target-acc", "0.8", "--pool", "100", "--hard", "40", "--refresh", "20", "--seeds", "3,1,2"}
	serial := replicateJSON(t, append(args, "--parallel", "1")...)
	parallel := replicateJSON(t, append(args, "--parallel", "2")...)
	if !slices.Equal(serial.Seeds, []int64{3, 1, 2}) {
		t.Fatalf("seeds = %v, want 3,1,2 in the order given", serial.Seeds)
	}
	if len(serial.Arms) != 2 || len(parallel.Arms) != 2 {
		t.Fatalf("arms: %d and %d, want 2", len(serial.Arms), len(parallel.Arms))
	}
	for i := range serial.Arms {
		a, b := serial.Arms[i].Replicates, parallel.Arms[i].Replicates
		if len(a) != 3 || len(b) != 3 {
			t.Fatalf("arm %d: %d and %d replicates, want 3", i, len(a), len(b))
		}
		for j := range a {
			if *a[j].Seed != serial.Seeds[j] || *b[j].Seed != serial.Seeds[j] {
				t.Fatalf("arm %d replicate %d: seeds %d and %d, want %d", i, j, *a[j].Seed, *b[j].Seed, serial.Seeds[j])
			}
			if !sameResult(a[j], b[j]) {
				t.Errorf("arm %d seed %d differs between --parallel 1 and 2:\n%+v\n%+v", i, *a[j].Seed, a[j], b[j])
			}
		}
		if !reflect.DeepEqual(serial.Arms[i].Summary, parallel.Arms[i].Summary) {
			t.Errorf("arm %d summary differs: %+v vs %+v", i, serial.Arms[i].Summary, parallel.Arms[i].Summary)
		}
	}
	// A lone run of seed 2 gives the third replicate.
	lone := replicateJSON(t, slices.Replace(slices.Clone(args), len(args)-2, len(args), "--seed", "2")...)
	for i := range lone.Arms {
		if !sameResult(lone.Arms[i], serial.Arms[i].Replicates[2]) {
			t.Errorf("arm %d: a lone run of seed 2 differs from its replicate:\n%+v\n%+v", i, lone.Arms[i], serial.Arms[i].Replicates[2])
		}
	}
	// The seeds differ from each other (the seed reaches the run).
	r := serial.Arms[0].Replicates
	if r[0].TestLoss == r[1].TestLoss && r[1].TestLoss == r[2].TestLoss {
		t.Errorf("three seeds gave the same test loss %v", r[0].TestLoss)
	}
	// The summary is the statistics of the replicates.
	var accs []float64
	for _, a := range r {
		accs = append(accs, float64(a.TestAccuracy))
	}
	if s := serial.Arms[0].Summary; s == nil || !reflect.DeepEqual(s.TestAccuracy, summarize(accs)) || s.Seeds != 3 {
		t.Errorf("summary %+v does not sum up the replicates' accuracies %v", s, accs)
	}
}

// sameResult compares the deterministic parts of two arm results (not the
// timings).
func sameResult(a, b armReport) bool {
	return a.Steps == b.Steps && a.ExamplesSeen == b.ExamplesSeen && a.ExamplesBackpropagated == b.ExamplesBackpropagated &&
		a.ExamplesForwarded == b.ExamplesForwarded && a.ComputeFLOPs == b.ComputeFLOPs &&
		a.TestAccuracy == b.TestAccuracy && a.TestLoss == b.TestLoss && a.TrainLoss == b.TrainLoss &&
		reflect.DeepEqual(a.ToTarget, b.ToTarget) && a.Scans == b.Scans
}

func TestReplicatesFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "1-3", "--seed", "2"}, "--seed and --seeds both set"},
		{[]string{"--seeds", "3-1"}, `--seeds: range "3-1" runs backwards`},
		{[]string{"--seeds", "x"}, "--seeds: want seeds as a range or a comma-separated list"},
		{[]string{"--seeds", "1-2", "--parallel", "0"}, "--parallel: must be in [1, 64], got 0"},
	}
	for _, tc := range tests {
		var out, errOut strings.Builder
		err := run(context.Background(), append([]string{"train", "--dataset", "moons", "--steps", "5"}, tc.args...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 {
			t.Errorf("train %v = %v (exit %d), want a usage error containing %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}

// TestReplicatesSummaryText checks the text summary prints mean ± sd.
func TestReplicatesSummaryText(t *testing.T) {
	var out, errOut strings.Builder
	args := []string{"train", "--dataset", "moons", "--size", "400", "--compare", "topk,random", "--steps", "40", "--eval-every", "10",
		"--target-acc", "0.6", "--seeds", "1-3", "--parallel", "3", "--progress", "plain"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	s := out.String()
	for _, want := range []string{"3 seeds (1-3), mean ± sd over seeds", "topk", "random", " ± ", "mean test accuracy of the last 3 evaluations"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	for _, seed := range []string{"seed 1:", "seed 2:", "seed 3:"} {
		if !strings.Contains(errOut.String(), seed) {
			t.Errorf("stderr lacks the progress line %q:\n%s", seed, errOut.String())
		}
	}
}

// FuzzParseSeeds feeds arbitrary --seeds values to parseSeeds: it must
// never panic; what it accepts has at most maxSeeds seeds, none twice, and
// reads back the same from seedList's compact form.
func FuzzParseSeeds(f *testing.F) {
	for _, s := range []string{"1-5", "1,3,7", "-2--1", " 4 ", "1-3,10", "5-1", "1,,2", "9223372036854775806-9223372036854775807", "-9223372036854775808", "1-1000", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seeds, err := parseSeeds(s)
		if err != nil {
			if seeds != nil {
				t.Fatalf("parseSeeds(%q) returned seeds %v with the error %v", s, seeds, err)
			}
			return
		}
		if len(seeds) == 0 || len(seeds) > maxSeeds {
			t.Fatalf("parseSeeds(%q) gave %d seeds", s, len(seeds))
		}
		seen := map[int64]bool{}
		for _, v := range seeds {
			if seen[v] {
				t.Fatalf("parseSeeds(%q) gave seed %d twice", s, v)
			}
			seen[v] = true
		}
		back, err := parseSeeds(seedList(seeds))
		if err != nil || !slices.Equal(back, seeds) {
			t.Fatalf("parseSeeds(seedList(%v) = %q) = %v, %v", seeds, seedList(seeds), back, err)
		}
	})
}

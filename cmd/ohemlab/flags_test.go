package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestRunUsageErrors checks that bad command lines fail with a usage error
// (exit code 2) whose single line names the flag and what is allowed.
func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string // substrings of the message
	}{
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate"`, "serve, train"}},
		{[]string{"version", "extra"}, []string{"version takes no arguments"}},
		{[]string{"help", "nope"}, []string{`unknown command "nope"`}},
		{[]string{"train", "--k", "abc"}, []string{"--k: ", "K (batch) must be a whole number", "got abc"}},
		{[]string{"train", "--lr", "fast"}, []string{"--lr: ", "got fast"}},
		{[]string{"train", "--no-such-flag"}, []string{"--no-such-flag", "not defined"}},
		{[]string{"train", "--steps"}, []string{"--steps", "needs an argument"}},
		{[]string{"train", "--steps", "0"}, []string{"--steps", "[1, 10000000]"}},
		{[]string{"train", "--steps", "-5"}, []string{"--steps", "[1, 10000000]"}},
		{[]string{"train", "--target-acc", "1.5"}, []string{"--target-acc", "(0, 1]"}},
		{[]string{"train", "--target-acc", "NaN"}, []string{"--target-acc", "(0, 1]"}},
		{[]string{"train", "--progress", "loud"}, []string{"--progress", "auto, bar, plain or none"}},
		{[]string{"train", "--ratio", "1.5"}, []string{"--ratio: ", "greater than 0 and at most 1"}},
		{[]string{"train", "--ratio", "0"}, []string{"--ratio: ", "greater than 0 and at most 1"}},
		{[]string{"train", "--m", "3", "--ratio", "0.5"}, []string{"--m and --ratio"}},
		{[]string{"train", "--compare", "topk"}, []string{"--compare", "exactly 2"}},
		{[]string{"train", "--compare", "topk,bogus"}, []string{"--compare", `"bogus"`, "topk"}},
		{[]string{"train", "--compare", "topk,random", "--strategy", "all"}, []string{"--compare and --strategy"}},
		{[]string{"train", "--hidden", "16,x"}, []string{"--hidden: ", "between 1 and 4096"}},
		{[]string{"train", "--hidden", "0"}, []string{"--hidden: ", "between 1 and 4096"}},
		{[]string{"train", "--hidden", "1,1,1,1,1,1,1,1,1"}, []string{"--hidden: ", "1 to 8"}},
		{[]string{"train", "--k", "0"}, []string{"--k: ", "between 1 and"}},
		{[]string{"train", "--lr", "0"}, []string{"--lr: ", "greater than 0"}},
		{[]string{"train", "--k", "-3"}, []string{"--k: ", "-3"}},
		{[]string{"train", "--k", "100000"}, []string{"--k: ", "65536"}},
		{[]string{"train", "--m", "500"}, []string{"--m: ", "500"}},
		{[]string{"train", "--compare", "topk,random", "--m", "129"}, []string{"--m: ", "129"}},
		{[]string{"train", "--lr", "-1"}, []string{"--lr: ", "-1"}},
		{[]string{"train", "--lr", "NaN"}, []string{"--lr: ", "NaN"}},
		{[]string{"train", "--lr", "1e9"}, []string{"--lr: ", "100"}},
		{[]string{"train", "--strategy", "bogus"}, []string{"--strategy: ", "got bogus"}},
		{[]string{"train", "--exec", "foo"}, []string{"--exec: ", "one of twopass, mask"}},
		{[]string{"train", "--label-noise", "2"}, []string{"--label-noise: "}},
		{[]string{"train", "--dataset", "bogus"}, []string{"--dataset: ", "got bogus"}},
		{[]string{"train", "--optimizer", "rmsprop"}, []string{"--optimizer: ", "one of sgd, adam"}},
		{[]string{"train", "--activation", "gelu"}, []string{"--activation: ", "one of relu, tanh"}},
		{[]string{"train", "--momentum", "1"}, []string{"--momentum: "}},
		{[]string{"train", "--dataset", "xor", "--size", "3"}, []string{"--size: "}},
		{[]string{"train", "--dataset", "xor", "--noise", "-1"}, []string{"--noise: "}},
		{[]string{"train", "--speed-cap", "-1"}, []string{"--speed-cap: "}},
		{[]string{"train", "--focal-gamma", "-1"}, []string{"--focal-gamma: "}},
		{[]string{"train", "--strategy", "threshold", "--thresh", "2"}, []string{"--thresh: "}},
		{[]string{"serve", "--lr", "-2"}, []string{"--lr: "}},
		{[]string{"train", "--eval-every", "0"}, []string{"--eval-every: ", "between 1 and"}},
		{[]string{"train", "stray"}, []string{`unexpected argument "stray"`}},
		{[]string{"serve", "--addr", "nonsense"}, []string{"--addr", "host:port"}},
		{[]string{"serve", "--addr", "127.0.0.1:99999"}, []string{"--addr", "[0, 65535]"}},
		{[]string{"serve", "--max-viewers", "0"}, []string{"--max-viewers", "[1, 100000]"}},
		{[]string{"serve", "--max-viewers-per-address", "0"}, []string{"--max-viewers-per-address", "[1, 100000]"}},
		{[]string{"serve", "--allow-host", "https://x.org"}, []string{"--allow-host", "lab.example.org"}},
		{[]string{"serve", "--log-level", "loud"}, []string{"--log-level", "debug, info, warn or error"}},
		{[]string{"serve", "--allow-origin", "lab.example.org"}, []string{"--allow-origin", "https://lab.example.org"}},
		{[]string{"serve", "--allow-origin", "https://a.org/path"}, []string{"--allow-origin"}},
		{[]string{"serve", "--control-token", "short"}, []string{"--control-token", "16 to 256"}},
		{[]string{"serve", "--control-token", "has spaces in it and more"}, []string{"--control-token", "letters, digits"}},
		{[]string{"serve", "--no-store", "--store-dir", "x"}, []string{"--no-store and --store-dir"}},
		{[]string{"--addr"}, []string{"--addr", "needs an argument"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut strings.Builder
			err := run(context.Background(), tc.args, &out, &errOut)
			if err == nil {
				t.Fatalf("run(%q) = nil, want a usage error", tc.args)
			}
			var ue *usageError
			if !errors.As(err, &ue) || exitCode(err) != 2 {
				t.Fatalf("run(%q) = %v (%T), want a usage error with exit code 2", tc.args, err, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message has several lines: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty on a usage error: %q", out.String())
			}
		})
	}
}

// TestExitCode checks the mapping of errors to exit codes.
func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{usagef("bad"), 2},
		{errors.Join(errors.New("x"), usagef("bad")), 2},
		{errors.New("disk full"), 1},
		{context.Canceled, 1},
	}
	for _, tc := range tests {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestFlagErrorMessage checks the rewriting of the flag package's errors.
func TestFlagErrorMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{`invalid value "abc" for flag -k: parse error`, `--k: invalid value "abc": parse error`},
		{`invalid value "1e999" for flag -lr: value out of range`, `--lr: invalid value "1e999": value out of range`},
		{"flag provided but not defined: -zz", "flag provided but not defined: --zz"},
		{"flag needs an argument: -steps", "flag needs an argument: --steps"},
		{"bad flag syntax: ---x", "bad flag syntax: --x"},
		{"something else", "something else"},
	}
	for _, tc := range tests {
		if got := flagErrorMessage(tc.in); got != tc.want {
			t.Errorf("flagErrorMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFieldFlagName checks that every field error names the flag to fix.
func TestFieldFlagName(t *testing.T) {
	tests := []struct{ key, want string }{
		{"k", "--k"}, {"m", "--m"}, {"lr", "--lr"}, {"strategy", "--strategy"}, {"exec", "--exec"},
		{"label_noise", "--label-noise"}, {"dataset", "--dataset"}, {"hidden", "--hidden"},
		{"optimizer", "--optimizer"}, {"arms", "--compare"}, {"eval_every", "--eval-every"},
		{"thresh", "--thresh"}, {"name", "--compare"}, {"history", "--compare"},
	}
	for _, tc := range tests {
		if got := fieldFlagName(tc.key); got != tc.want {
			t.Errorf("fieldFlagName(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestExpConfig checks that flags override the preset and build arms.
func TestExpConfig(t *testing.T) {
	fs, tf := newTrainFlags()
	args := []string{"--dataset", "circle", "--compare", "topk,random", "--k", "64", "--ratio", "0.25",
		"--lr", "0.05", "--label-noise", "0.1", "--hidden", "8,8", "--exec", "mask", "--seed", "7", "--pos-digit", "5"}
	if err := parseFlags(fs, args, func() {}); err != nil {
		t.Fatal(err)
	}
	cfg, err := tf.exp.config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Data.Name != "circle" || cfg.K != 64 || cfg.Seed != 7 || cfg.Data.LabelNoise != 0.1 ||
		!equalInts(cfg.Model.Hidden, []int{8, 8}) || cfg.Data.PosDigit == nil || *cfg.Data.PosDigit != 5 {
		t.Errorf("config = %+v", cfg)
	}
	if len(cfg.Arms) != 2 {
		t.Fatalf("arms = %+v, want 2", cfg.Arms)
	}
	for i, want := range []string{"topk", "random"} {
		a := cfg.Arms[i]
		if a.Select.Strategy != want || a.Name != want || a.Select.M != 16 || a.LR != 0.05 || a.Exec != "mask" {
			t.Errorf("arm %d = %+v", i, a)
		}
	}
}

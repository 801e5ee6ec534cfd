package main

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

// FuzzTrainFlags feeds arbitrary command lines to the train command's flag
// parsing and config building (not to training): it must never panic, and
// every rejection must be a one-line usage error.
func FuzzTrainFlags(f *testing.F) {
	for _, s := range []string{
		"--steps 10 --json",
		"--dataset circle --k 64 --m 16 --lr 0.05",
		"--compare topk,random --ratio 0.25",
		"--hidden 16,16 --label-noise 0.2 --exec mask",
		"--k abc",
		"--ratio 2",
		"--m 3 --ratio 0.5",
		"--compare topk",
		"--hidden ,,,",
		"--allow-origin x",
		"-- --steps",
		"--steps=5 stray",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		fs, tf := newTrainFlags()
		err := parseFlags(fs, args, func() {})
		if err == nil {
			if err = tf.check(); err == nil {
				_, err = tf.exp.config()
			}
		}
		if err == nil {
			return
		}
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Fatalf("args %q: error %v (%T) is not a usage error", args, err, err)
		}
		if strings.ContainsAny(oneLine(err.Error()), "\n\r") {
			t.Fatalf("args %q: multi-line message %q", args, err)
		}
	})
}

// FuzzOriginList checks that --allow-origin accepts only clean origins.
func FuzzOriginList(f *testing.F) {
	for _, s := range []string{"https://lab.example.org", "http://h:1,https://b", "x", "https://a/b", "", ",,,", "http://[::1]:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var o originList
		if err := o.Set(s); err != nil {
			return
		}
		for _, x := range o {
			if !strings.HasPrefix(x, "http://") && !strings.HasPrefix(x, "https://") {
				t.Fatalf("Set(%q) accepted %q", s, x)
			}
			if strings.ContainsAny(x[8:], "/?#@ ") {
				t.Fatalf("Set(%q) accepted %q with a path, query or user", s, x)
			}
			if n, err := normalizeOrigin(x); err != nil || n != x {
				t.Fatalf("normalizeOrigin(%q) = %q, %v: not idempotent", x, n, err)
			}
		}
	})
}

// FuzzHostList checks that --allow-host accepts only bare host names (with
// an optional port) and that normalising is idempotent.
func FuzzHostList(f *testing.F) {
	for _, s := range []string{"lab.example.org", "a.org:8443,b", "[::1]:80", "x/y", "", ",,,", "u@h", "h:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var h hostList
		if err := h.Set(s); err != nil {
			return
		}
		for _, x := range h {
			if x == "" || strings.ContainsAny(x, "/?#@ \t\r\n,") {
				t.Fatalf("Set(%q) accepted %q", s, x)
			}
			if n, err := normalizeHost(x); err != nil || n != x {
				t.Fatalf("normalizeHost(%q) = %q, %v: not idempotent", x, n, err)
			}
		}
	})
}

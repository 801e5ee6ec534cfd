package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ohemlab/ohemlab/trainer"
)

// fieldFlags maps the config's field paths (as trainer.Config.Validate names
// them, with arm indices removed) to the flags that set them.
var fieldFlags = map[string]string{
	"data.name":            "--dataset",
	"data.dir":             "--data-dir",
	"data.size":            "--size",
	"data.noise":           "--noise",
	"data.pos_frac":        "--pos-frac",
	"data.pos_digit":       "--pos-digit",
	"data.test_frac":       "--test-frac",
	"data.label_noise":     "--label-noise",
	"model.hidden":         "--hidden",
	"model.activation":     "--activation",
	"model.optimizer":      "--optimizer",
	"model.momentum":       "--momentum",
	"k":                    "--k",
	"arms":                 "--compare",
	"arms.name":            "--compare",
	"arms.select.strategy": "--strategy",
	"arms.strategy":        "--strategy",
	"arms.m":               "--m",
	"arms.thresh":          "--thresh",
	"arms.min_kept":        "--min-kept",
	"arms.neg_pos":         "--neg-pos",
	"arms.min_neg":         "--min-neg",
	"arms.beta":            "--beta",
	"arms.history":         "--strategy",
	"arms.refresh":         "--refresh",
	"arms.pool":            "--pool",
	"arms.hard":            "--hard",
	"arms.select.refresh":  "--refresh",
	"arms.select.pool":     "--pool",
	"arms.select.hard":     "--hard",
	"arms.positive":        "--strategy",
	"arms.select.m":        "--m",
	"arms.select.thresh":   "--thresh",
	"arms.select.min_kept": "--min-kept",
	"arms.select.neg_pos":  "--neg-pos",
	"arms.select.min_neg":  "--min-neg",
	"arms.select.beta":     "--beta",
	"arms.select.history":  "--strategy",
	"arms.select.positive": "--strategy",
	"arms.lr":              "--lr",
	"arms.exec":            "--exec",
	"arms.focal_gamma":     "--focal-gamma",
	"arms.focal_alpha":     "--focal-alpha",
	"seed":                 "--seed",
	"eval_every":           "--eval-every",
	"speed_cap":            "--speed-cap",
	"select.strategy":      "--strategy",
	"select.m":             "--m",
	"select.thresh":        "--thresh",
	"select.min_kept":      "--min-kept",
	"select.neg_pos":       "--neg-pos",
	"select.min_neg":       "--min-neg",
	"select.beta":          "--beta",
}

// fieldPath matches a config field path such as k, arms[1].select.m or
// data.label_noise.
var fieldPath = regexp.MustCompile(`\b(?:data|model|arms|select|k|seed|eval_every|speed_cap)(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*\b`)

var armIndex = regexp.MustCompile(`\[\d+\]`)

// flagForField returns the flag that sets the config field named in msg,
// the first one found, or "" when msg names none.
func flagForField(msg string) string {
	for _, m := range fieldPath.FindAllString(msg, -1) {
		p := armIndex.ReplaceAllString(m, "")
		for p != "" {
			if f, ok := fieldFlags[p]; ok {
				if f == "--compare" && strings.Contains(msg, "strategy") {
					return "--strategy" // e.g. arms[0].unknown strategy "x"
				}
				return f
			}
			i := strings.LastIndexByte(p, '.')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return ""
}

// validateConfig runs trainer.Config.Validate and turns its error into a
// usage error that leads with the flag to fix; the trainer's message, which
// names the field and its allowed range, follows.
func validateConfig(cfg trainer.Config) error {
	err := cfg.Validate()
	if err == nil {
		return nil
	}
	msg := oneLine(err.Error())
	msg = strings.TrimPrefix(msg, "trainer: ")
	if f := flagForField(msg); f != "" {
		return usagef("%s: %s", f, msg)
	}
	return usagef("%s", msg)
}

// loadError prefixes an error of trainer.New (bad data, a missing file)
// with the flag it concerns, when its message names a config field. It
// stays an ordinary error (exit code 1): the flag was well formed.
func loadError(err error) error {
	if err == nil {
		return nil
	}
	msg := oneLine(err.Error())
	if f := flagForField(msg); f != "" && !strings.HasPrefix(msg, f) {
		return fmt.Errorf("%s: %w", f, err)
	}
	return err
}

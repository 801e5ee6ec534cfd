package main

import (
	"fmt"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// fieldFlagName is the flag that sets a field of the experiment table:
// the row's own flag, or --compare for what only --compare decides (the
// arms and their names) and for rows without a flag.
func fieldFlagName(key string) string {
	if f := experiment.Lookup(key); f != nil && f.Flag != "" {
		return "--" + f.Flag
	}
	return "--compare"
}

// flagError renders an error of the experiment table as a usage error
// that leads with the flag to fix: "--m: M (kept) must be ...".
func flagError(err error) error {
	if fe := experiment.AsFieldError(err); fe != nil {
		return usagef("%s: %s", fieldFlagName(fe.Field), oneLine(fe.Error()))
	}
	return usagef("%s", oneLine(err.Error()))
}

// validateConfig runs the experiment's Validate and turns its error into a
// usage error that leads with the flag to fix.
func validateConfig(cfg trainer.Config) error {
	if err := cfg.Validate(); err != nil {
		return flagError(err)
	}
	return nil
}

// loadError prefixes an error of trainer.New (bad data, a missing file)
// with the flag it concerns when it names a field. It stays an ordinary
// error (exit code 1): the flag was well formed.
func loadError(err error) error {
	if err == nil {
		return nil
	}
	if fe := experiment.AsFieldError(err); fe != nil {
		return fmt.Errorf("%s: %w", fieldFlagName(fe.Field), err)
	}
	return err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// usageError is a mistake in the command line: an unknown subcommand, a
// malformed flag or a value out of its allowed range. It exits with code 2.
type usageError struct {
	msg string
}

// Error returns the one-line message.
func (e *usageError) Error() string { return e.msg }

// usagef returns a *usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps an error returned by run to the process exit code: 0 for
// nil, 2 for usage errors and 1 for everything else.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// oneLine folds a message onto a single line so that every error is printed
// as exactly one line on stderr.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// run is the whole program: main only adds the process around it (signals,
// exit code). args excludes the program name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelpFlag(args[0]) {
			writeHelp(stdout)
			return nil
		}
		return runServe(ctx, args, stdout, stderr)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "train":
		return runTrain(ctx, rest, stdout, stderr)
	case "version":
		if len(rest) > 0 {
			return usagef("version takes no arguments, got %q", rest[0])
		}
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help":
		return runHelp(rest, stdout)
	default:
		return usagef("unknown command %q: want serve, train, version or help (see ohemlab help)", cmd)
	}
}

func isHelpFlag(s string) bool {
	switch s {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

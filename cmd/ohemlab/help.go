package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const helpText = `OHEM Lab: watch and tune Online Hard Example Mining live.

Usage:
  ohemlab [serve] [flags]   start the dashboard (the default command)
  ohemlab train [flags]     train headless and print a summary (--json for JSON)
  ohemlab version           print the version
  ohemlab help [command]    print this help or a command's flags

Examples:
  ohemlab                                   dashboard on http://127.0.0.1:8080/
  ohemlab train --steps 468 --json          one MNIST epoch of topk OHEM, K=128 M=32
  ohemlab train --compare topk,random --steps 468
  ohemlab train --compare topk,offline --seeds 1-5   five seeds, mean ± sd
`

// writeHelp prints the top-level help.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, helpText)
}

// runHelp implements "ohemlab help [command]".
func runHelp(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		writeHelp(stdout)
		return nil
	}
	if len(args) > 1 {
		return usagef("help takes at most one command, got %d arguments", len(args))
	}
	switch args[0] {
	case "serve":
		fs, _ := newServeFlags()
		printFlagUsage(stdout, "ohemlab serve [flags]", "Start the dashboard and train the chosen experiment in the background.", fs)
	case "train":
		fs, _ := newTrainFlags()
		printFlagUsage(stdout, "ohemlab train [flags]", "Train headless, then print a summary (or one JSON object with --json).", fs)
	case "version", "help":
		writeHelp(stdout)
	default:
		return usagef("unknown command %q: want serve, train, version or help", args[0])
	}
	return nil
}

// versionString reports the module version, the VCS revision when the
// binary was built from a checkout, and the Go version.
func versionString() string {
	version, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("ohemlab %s%s %s %s/%s", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

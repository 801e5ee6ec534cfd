package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ohemlab/ohemlab/web"
)

// Values of serve --source.
const (
	sourceBuiltin  = "builtin"
	sourceExternal = "external"
)

// runner is what serve runs: the built-in trainer or an external source.
type runner interface {
	web.Trainer
	// Run trains (or waits for an external trainer) until ctx is done.
	Run(ctx context.Context) error
}

// checkSource validates --source; with external the experiment flags are
// refused, since the training script sets its own experiment.
func (sf *serveFlags) checkSource(fs *flag.FlagSet) error {
	switch sf.source {
	case sourceBuiltin:
		return nil
	case sourceExternal:
	default:
		return usagef("--source: must be builtin or external, got %q", sf.source)
	}
	exp := flag.NewFlagSet("", flag.ContinueOnError)
	(&expFlags{}).register(exp)
	var bad string
	fs.Visit(func(f *flag.Flag) {
		if bad == "" && exp.Lookup(f.Name) != nil {
			bad = f.Name
		}
	})
	if bad != "" {
		return usagef("--%s: with --source external the training script sets the experiment: drop the flag (or use --source builtin)", bad)
	}
	return nil
}

// externalCommand is the command that starts the example trainer against
// this server, as shown on the page (the token is never sent to viewers:
// withToken only adds a placeholder).
func externalCommand(url string, withToken bool) string {
	cmd := "PYTHONPATH=clients/python python3 clients/python/examples/torch_mnist.py --url " + url
	if withToken {
		cmd += " --token <the presenter token>"
	}
	return cmd
}

// printExternalBanner tells how to start a training process; the token
// appears in full here, on stdout only.
func printExternalBanner(w io.Writer, url, token string) {
	cmd := "PYTHONPATH=clients/python python3 clients/python/examples/torch_mnist.py --url " + url
	if token != "" {
		cmd += " --token " + token
	}
	fmt.Fprintf(w, "Waiting for a training process to report to %sapi/ingest. Start one with:\n  %s\n", url, cmd)
}

// Command ohemlab runs OHEM Lab: a live dashboard that shows Online Hard
// Example Mining at work (ohemlab serve, the default) and a headless trainer
// for scripts and benchmarks (ohemlab train).
//
// Run "ohemlab help" for the subcommands and their flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ohemlab: "+oneLine(err.Error()))
		os.Exit(exitCode(err))
	}
}

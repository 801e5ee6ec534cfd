// Command ohemlab-load opens many websocket viewers against a local OHEM
// Lab server and reports frame latency, frames received, batch steps lost
// to coalescing and the trainer's steps per second before and during the
// load. It only talks to loopback addresses, is bounded in viewers and
// duration, and stops by itself.
//
//	ohemlab-load --viewers 500 --silent 0.1 --duration 20s
package main

import (
	"context"
	"errors"
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
		fmt.Fprintln(os.Stderr, "ohemlab-load: "+err.Error())
		var ue *usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

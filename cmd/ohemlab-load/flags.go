package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// Bounds on the load.
const (
	maxViewers  = 5000
	maxDuration = 10 * time.Minute
	maxBaseline = time.Minute
)

// usageError is a bad command line; it exits with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// config is the parsed command line.
type config struct {
	base     *url.URL
	viewers  int
	silent   float64
	duration time.Duration
	baseline time.Duration
	dialRate int
	json     bool
	row      bool
	// serverPID, when not 0, is the server's process id: its CPU use is
	// read from /proc (Linux) before and during the load.
	serverPID int
	// churn mode (--churn): viewers stay between stayMin and stayMax,
	// then reconnect; afterwards the server's /debug/runtime is compared
	// with its baseline within the tolerances.
	churn   bool
	stayMin time.Duration
	stayMax time.Duration
	settle  time.Duration
	seed    uint64
	tol     tolerance
}

// parseFlags parses and checks args.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("ohemlab-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("url", "http://127.0.0.1:8080", "server base URL; loopback addresses only")
	fs.IntVar(&c.viewers, "viewers", 100, fmt.Sprintf("websocket viewers to open, 1 to %d", maxViewers))
	fs.Float64Var(&c.silent, "silent", 0.1, "fraction of viewers that read nothing, 0 to 1")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long to hold the viewers, up to "+maxDuration.String())
	fs.DurationVar(&c.baseline, "baseline", 5*time.Second, "how long to measure steps/s before connecting, up to "+maxBaseline.String())
	fs.IntVar(&c.dialRate, "dial-rate", 200, "new connections per second, 1 to 10000")
	fs.BoolVar(&c.json, "json", false, "print the report as one JSON object")
	fs.BoolVar(&c.row, "row", false, "print the report as one table row (see --row-header); not with --churn or --json")
	fs.IntVar(&c.serverPID, "server-pid", 0, "process id of the server (on this machine) whose CPU use to report, from /proc; 0 = do not report it")
	rowHeader := fs.Bool("row-header", false, "print the header of the --row table and exit")
	fs.BoolVar(&c.churn, "churn", false, "soak mode: keep about --viewers connected, each staying a random time in [--stay-min, --stay-max] before reconnecting; then compare the server's /debug/runtime with its baseline")
	fs.DurationVar(&c.stayMin, "stay-min", time.Second, "churn: shortest stay of one connection")
	fs.DurationVar(&c.stayMax, "stay-max", 20*time.Second, "churn: longest stay of one connection, up to "+maxDuration.String())
	fs.DurationVar(&c.settle, "settle", 15*time.Second, "churn: how long to wait at most, after closing every viewer, for the server to return to baseline, 1s to "+maxBaseline.String())
	fs.Uint64Var(&c.seed, "seed", 1, "churn: seed of the random stays")
	fs.IntVar(&c.tol.Goroutines, "tol-goroutines", 5, "churn: goroutines allowed above baseline, 0 to 10000")
	fs.Float64Var(&c.tol.HeapRatio, "tol-heap-ratio", 1.5, "churn: heap_inuse allowed as a multiple of baseline, 1 to 100 (or within --tol-heap-mb)")
	fs.Float64Var(&c.tol.HeapMB, "tol-heap-mb", 20, "churn: heap_inuse allowed above baseline in MB, 0 to 10000 (or within --tol-heap-ratio)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return c, err
		}
		return c, usagef("%v", err)
	}
	if *rowHeader {
		return c, errRowHeader
	}
	if fs.NArg() > 0 {
		return c, usagef("unexpected argument %q: every option is a flag", fs.Arg(0))
	}
	switch {
	case c.viewers < 1 || c.viewers > maxViewers:
		return c, usagef("--viewers %d is out of range: want 1 to %d", c.viewers, maxViewers)
	case !(c.silent >= 0 && c.silent <= 1):
		return c, usagef("--silent %v is out of range: want 0 to 1", c.silent)
	case c.duration <= 0 || c.duration > maxDuration:
		return c, usagef("--duration %v is out of range: want more than 0 and at most %v", c.duration, maxDuration)
	case c.baseline <= 0 || c.baseline > maxBaseline:
		return c, usagef("--baseline %v is out of range: want more than 0 and at most %v", c.baseline, maxBaseline)
	case c.serverPID < 0:
		return c, usagef("--server-pid %d is out of range: want a process id, or 0", c.serverPID)
	case c.row && (c.json || c.churn):
		return c, usagef("--row cannot be combined with --json or --churn")
	case c.dialRate < 1 || c.dialRate > 10000:
		return c, usagef("--dial-rate %d is out of range: want 1 to 10000", c.dialRate)
	case c.stayMin <= 0 || c.stayMax > maxDuration || c.stayMin > c.stayMax:
		return c, usagef("--stay-min %v and --stay-max %v are out of range: want 0 < stay-min <= stay-max <= %v", c.stayMin, c.stayMax, maxDuration)
	case c.settle < time.Second || c.settle > maxBaseline:
		return c, usagef("--settle %v is out of range: want 1s to %v", c.settle, maxBaseline)
	case c.tol.Goroutines < 0 || c.tol.Goroutines > 10000:
		return c, usagef("--tol-goroutines %d is out of range: want 0 to 10000", c.tol.Goroutines)
	case !(c.tol.HeapRatio >= 1 && c.tol.HeapRatio <= 100):
		return c, usagef("--tol-heap-ratio %v is out of range: want 1 to 100", c.tol.HeapRatio)
	case !(c.tol.HeapMB >= 0 && c.tol.HeapMB <= 10000):
		return c, usagef("--tol-heap-mb %v is out of range: want 0 to 10000", c.tol.HeapMB)
	}
	u, err := checkLoopback(*addr)
	if err != nil {
		return c, usagef("--url: %v", err)
	}
	c.base = u
	return c, nil
}

// checkLoopback parses an http(s) URL and accepts it only when its host is
// a loopback IP address or "localhost".
func checkLoopback(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: want an http:// or https:// URL", s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: give the server's base URL only (scheme, host and port)", s)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%q is not a loopback address: this tool only loads a server on this machine (127.0.0.1, ::1 or localhost)", host)
	}
	return u, nil
}

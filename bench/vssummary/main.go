// Command vssummary turns the log of bench/vs-torch.sh into the comparison
// table: per strategy and OHEM Lab build the median steps/s of OHEM Lab and
// of the PyTorch reference, the ratio with its spread over rounds, and the
// share of the machine's FLOP bound each reaches. It refuses to report a
// ratio when the reference did not run on OpenBLAS.
//
// Exit status: 0 with a table of ratios, 1 when the ratio is refused, 2 for
// bad input.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// errRefused marks a summary printed without ratios.
var errRefused = errors.New("ratio refused")

func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout)
	switch {
	case errors.Is(err, errRefused):
		fmt.Fprintln(os.Stderr, "vssummary:", err)
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "vssummary:", err)
		os.Exit(2)
	}
}

// run reads the log named by -log (stdin if none) and writes the table.
func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("vssummary", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	logPath := fs.String("log", "", "log written by vs-torch.sh (default: standard input)")
	dimsFlag := fs.String("dims", "784,256,10", "layer widths of the MLP, input first, for the FLOP count")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	dims, err := parseDims(*dimsFlag)
	if err != nil {
		return err
	}
	in := stdin
	if *logPath != "" {
		f, err := os.Open(*logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	l, err := parseLog(in)
	if err != nil {
		return err
	}
	s, err := summarise(l, dims)
	if err != nil {
		return err
	}
	if err := format(stdout, s); err != nil {
		return err
	}
	if s.Refused != "" {
		return fmt.Errorf("%w: %s", errRefused, s.Refused)
	}
	return nil
}

// parseDims parses comma-separated layer widths: at least two, each
// 1..100000.
func parseDims(s string) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) < 2 {
		return nil, fmt.Errorf("-dims %q: want at least two comma-separated widths, e.g. 784,256,10", s)
	}
	dims := make([]int, len(parts))
	for i, p := range parts {
		d, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || d < 1 || d > 100000 {
			return nil, fmt.Errorf("-dims %q: width %q is not an integer 1..100000", s, p)
		}
		dims[i] = d
	}
	return dims, nil
}

// Command gemmpeak measures the machine's float32 matrix-multiply ceiling:
// the best GFLOP/s of an N×N×N sgemm with gonum's pure-Go BLAS and, in a
// binary built with -tags openblas, with OpenBLAS through cgo. The speed
// comparison (bench/vs-torch.sh) divides measured training throughput by
// this ceiling to report the fraction of the FLOP bound.
//
// It prints one line per library:
//
//	GEMM {"blas":"gonum","n":1024,"reps":5,"best_seconds":0.08,"gflops":26.1}
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gemmpeak:", err)
		os.Exit(2)
	}
}

// run parses args, measures every available library and writes one GEMM
// line per library to w.
func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("gemmpeak", flag.ContinueOnError)
	n := fs.Int("n", 1024, "matrix size N of the N×N×N multiply, 1..8192")
	minSeconds := fs.Float64("min-seconds", 0.5, "measure each library for at least this long, in (0, 60]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *n < 1 || *n > 8192 {
		return fmt.Errorf("-n %d out of range 1..8192", *n)
	}
	if !(*minSeconds > 0 && *minSeconds <= 60) {
		return fmt.Errorf("-min-seconds %g out of range (0, 60]", *minSeconds)
	}
	if len(libraries) == 0 {
		return errors.New("no BLAS library compiled in")
	}
	enc := json.NewEncoder(w)
	for _, lib := range libraries {
		if err := check(lib); err != nil {
			return err
		}
		r := measure(lib, *n, *minSeconds)
		if _, err := io.WriteString(w, "GEMM "); err != nil {
			return err
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

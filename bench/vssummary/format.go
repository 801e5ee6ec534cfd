package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// format writes the summary as the human table that vs-torch.sh prints
// (and the README's performance table is copied from).
func format(w io.Writer, s *summary) error {
	dims := make([]string, len(s.Dims))
	for i, d := range s.Dims {
		dims[i] = strconv.Itoa(d)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "OHEM Lab vs PyTorch: MLP %s, K=%d, M=%d, medians of %d alternating rounds\n", strings.Join(dims, "-"), s.K, s.M, s.Rounds)
	if len(s.Ceilings) > 0 {
		var cs []string
		for _, c := range s.Ceilings {
			cs = append(cs, fmt.Sprintf("%s %.1f", c.BLAS, c.GFLOPS))
		}
		fmt.Fprintf(&b, "fp32 GEMM %d^3 (GFLOP/s, best of rounds): %s; FLOP bound at %.1f GFLOP/s\n", s.GEMMN, strings.Join(cs, ", "), s.Ceiling)
	} else {
		b.WriteString("fp32 GEMM ceiling: not measured (no GEMM records): no FLOP bound\n")
	}
	fmt.Fprintf(&b, "PyTorch: %s, blas %s\n\n", orDash(s.TorchImpl), orDash(s.TorchBLAS))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\tbuild\tOHEM Lab steps/s\tPyTorch steps/s\tratio\tspread\tOHEM Lab of bound\tPyTorch of bound\tbound steps/s\t")
	for _, r := range s.Rows {
		ratio, spread := num(r.Ratio, 2), "-"
		if !math.IsNaN(r.Lo) {
			spread = fmt.Sprintf("%.2f-%.2f", r.Lo, r.Hi)
		}
		if s.Refused != "" {
			ratio, spread = "refused", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", label(r.Strategy), r.Build, num(r.Ohem, 0), num(r.Torch, 0), ratio, spread, pct(r.OhemFrac), pct(r.TorchFrac), num(r.BoundSPS, 0))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.StepRatio) > 0 {
		var parts []string
		for _, n := range s.StepRatio {
			name := buildLabel(n.Name)
			if n.Name == sideTorch {
				name = "PyTorch"
			}
			parts = append(parts, fmt.Sprintf("%s %.2f", name, n.Value))
		}
		fmt.Fprintf(&b, "\ntwo-pass step time / plain step time (target <= 0.62): %s\n", strings.Join(parts, ", "))
	}
	if s.Refused != "" {
		fmt.Fprintf(&b, "\nNO RATIO: %s\n", s.Refused)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// label names a strategy as the README does.
func label(strategy string) string {
	switch strategy {
	case "plain":
		return "all"
	case "twopass":
		return "topk twopass"
	case "mask":
		return "topk mask"
	}
	return strategy
}

func num(x float64, prec int) string {
	if math.IsNaN(x) {
		return "-"
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Strategies of the comparison, in the reference's names and table order.
var strategies = []string{"plain", "twopass", "mask"}

// Sides: the reference and OHEM Lab builds, which are named "ohemlab-" plus
// the build's BLAS.
const (
	sideTorch   = "torch"
	sideGEMM    = "gemm"
	ohemPrefix  = "ohemlab-"
	maxLineSize = 1 << 20
)

// result holds the fields of a RESULT line that the summary uses; the
// reference and ohemstep both write them.
type result struct {
	Strategy string  `json:"strategy"`
	BLAS     string  `json:"blas"`
	K        int     `json:"K"`
	M        int     `json:"M"`
	StepsPS  float64 `json:"steps_per_s"`
	MedianMS float64 `json:"median_step_ms"`
	Impl     string  `json:"impl"`
}

// record is one measured run: a RESULT line of the reference or of ohemstep.
type record struct {
	Round int
	Side  string
	result
}

// gemm is one GEMM line of gemmpeak.
type gemm struct {
	Round  int
	BLAS   string  `json:"blas"`
	N      int     `json:"n"`
	GFLOPS float64 `json:"gflops"`
}

// log is everything a comparison recorded.
type log struct {
	runs  []record
	gemms []gemm
}

// parseLog reads the log that vs-torch.sh writes: one record a line,
//
//	ROUND <tab> SIDE <tab> STRATEGY <tab> PAYLOAD
//
// where PAYLOAD is a runner's "RESULT {json}" line (sides torch and
// ohemlab-*, strategies plain, twopass, mask) or gemmpeak's "GEMM {json}"
// line (side gemm, strategy -). Blank lines and lines starting with # are
// skipped. Errors name the line.
func parseLog(r io.Reader) (*log, error) {
	var l log
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineSize)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := l.parseLine(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return &l, nil
}

// parseLine parses one record into l.
func (l *log) parseLine(line string) error {
	f := strings.SplitN(line, "\t", 4)
	if len(f) != 4 {
		return fmt.Errorf("want 4 tab-separated fields (round, side, strategy, payload), got %d", len(f))
	}
	round, err := strconv.Atoi(f[0])
	if err != nil || round < 1 || round > 1000 {
		return fmt.Errorf("round %q: want an integer 1..1000", f[0])
	}
	side, strategy, payload := f[1], f[2], f[3]
	if side == sideGEMM {
		js, ok := strings.CutPrefix(payload, "GEMM ")
		if !ok {
			return fmt.Errorf("side gemm: payload must start with \"GEMM \"")
		}
		g := gemm{Round: round}
		if err := decodeOne(js, &g); err != nil {
			return fmt.Errorf("GEMM json: %w", err)
		}
		if g.BLAS == "" || g.N < 1 || !positive(g.GFLOPS) {
			return fmt.Errorf("GEMM record needs blas, n >= 1 and finite gflops > 0")
		}
		l.gemms = append(l.gemms, g)
		return nil
	}
	if side != sideTorch && (!strings.HasPrefix(side, ohemPrefix) || len(side) == len(ohemPrefix)) {
		return fmt.Errorf("side %q: want torch, gemm or ohemlab-BUILD", side)
	}
	if !known(strategy) {
		return fmt.Errorf("strategy %q: want one of %s", strategy, strings.Join(strategies, ", "))
	}
	js, ok := strings.CutPrefix(payload, "RESULT ")
	if !ok {
		return fmt.Errorf("side %s: payload must start with \"RESULT \"", side)
	}
	r := record{Round: round, Side: side}
	if err := decodeOne(js, &r.result); err != nil {
		return fmt.Errorf("RESULT json: %w", err)
	}
	switch {
	case r.Strategy != strategy:
		return fmt.Errorf("result is for strategy %q, record says %q", r.Strategy, strategy)
	case !positive(r.StepsPS):
		return fmt.Errorf("steps_per_s must be finite and > 0")
	case r.K < 1 || r.M < 1 || r.M > r.K:
		return fmt.Errorf("K=%d M=%d: want 1 <= M <= K", r.K, r.M)
	}
	l.runs = append(l.runs, r)
	return nil
}

// decodeOne decodes exactly one JSON object from s into v; unknown
// fields are ignored.
func decodeOne(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the object")
	}
	return nil
}

func known(strategy string) bool {
	for _, s := range strategies {
		if s == strategy {
			return true
		}
	}
	return false
}

func positive(x float64) bool { return x > 0 && !math.IsInf(x, 0) }

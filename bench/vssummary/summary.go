package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// summary is the comparison worked out from a log.
type summary struct {
	K, M, Rounds int
	Dims         []int
	// Ceilings is the best GFLOP/s of each BLAS; Ceiling the best of all,
	// the machine's fp32 GEMM ceiling; GEMMN the matrix size measured.
	Ceilings []ceiling
	Ceiling  float64
	GEMMN    int
	// TorchImpl and TorchBLAS describe the reference runs.
	TorchImpl, TorchBLAS string
	// Refused says why no ratio is reported, empty when ratios are fair.
	Refused string
	Rows    []row
	// StepRatio is, per build and for the reference, the two-pass step time
	// over the plain step time (plain steps/s over two-pass steps/s).
	StepRatio []named
}

// ceiling is one BLAS's best GEMM rate.
type ceiling struct {
	BLAS   string
	GFLOPS float64
}

// named is a labelled number.
type named struct {
	Name  string
	Value float64
}

// row is one strategy and OHEM Lab build against the reference.
type row struct {
	Strategy, Build string
	Ohem, Torch     float64 // median steps/s; NaN when missing
	// Ratio is the median of the per-round ratios OHEM Lab / PyTorch and
	// Lo, Hi their range; NaN when missing or refused.
	Ratio, Lo, Hi float64
	// BoundSPS is the FLOP bound in steps/s at the machine ceiling;
	// OhemFrac and TorchFrac the shares of it reached.
	BoundSPS, OhemFrac, TorchFrac float64
}

// summarise checks that the runs are comparable and works out the table.
func summarise(l *log, dims []int) (*summary, error) {
	if len(l.runs) == 0 {
		return nil, fmt.Errorf("no RESULT records: nothing to compare")
	}
	s := &summary{Dims: dims, K: l.runs[0].K}
	rounds := map[int]bool{}
	builds := map[string]bool{}
	torchBLAS := map[string]bool{}
	for _, r := range l.runs {
		rounds[r.Round] = true
		if r.K != s.K {
			return nil, fmt.Errorf("round %d %s %s: K=%d, other runs K=%d: not the same configuration", r.Round, r.Side, r.Strategy, r.K, s.K)
		}
		if r.Strategy != "plain" {
			if s.M == 0 {
				s.M = r.M
			} else if r.M != s.M {
				return nil, fmt.Errorf("round %d %s %s: M=%d, other runs M=%d: not the same configuration", r.Round, r.Side, r.Strategy, r.M, s.M)
			}
		}
		if r.Side == sideTorch {
			torchBLAS[r.BLAS] = true
			if s.TorchImpl == "" {
				s.TorchImpl = r.Impl
			}
		} else {
			builds[r.Side] = true
		}
	}
	s.Rounds = len(rounds)
	if s.M == 0 {
		s.M = s.K
	}
	s.TorchBLAS = strings.Join(sortedKeys(torchBLAS), ",")
	for b := range torchBLAS {
		if !strings.Contains(strings.ToLower(b), "openblas") {
			s.Refused = fmt.Sprintf("PyTorch ran with blas %q, not OpenBLAS: an unfair peer (install libopenblas0-pthread and run it with /usr/bin/python3)", b)
			break
		}
	}
	s.summariseGEMM(l.gemms)

	order := sortedKeys(builds)
	sort.SliceStable(order, func(i, j int) bool { return pureGo(order[i]) && !pureGo(order[j]) })
	for _, st := range strategies {
		torch := l.pick(sideTorch, st)
		for _, b := range order {
			ohem := l.pick(b, st)
			if len(ohem) == 0 && len(torch) == 0 {
				continue // a strategy the run left out (STRATEGIES)
			}
			s.Rows = append(s.Rows, s.row(st, b, ohem, torch))
		}
	}
	for _, side := range append(order, sideTorch) {
		p, t := l.pick(side, "plain"), l.pick(side, "twopass")
		if len(p) > 0 && len(t) > 0 {
			s.StepRatio = append(s.StepRatio, named{Name: side, Value: median(rates(p)) / median(rates(t))})
		}
	}
	return s, nil
}

// summariseGEMM keeps each BLAS's best rate and the overall ceiling.
func (s *summary) summariseGEMM(gs []gemm) {
	best := map[string]float64{}
	for _, g := range gs {
		best[g.BLAS] = math.Max(best[g.BLAS], g.GFLOPS)
		s.GEMMN = g.N
	}
	for _, b := range sortedKeys(best) {
		s.Ceilings = append(s.Ceilings, ceiling{BLAS: b, GFLOPS: best[b]})
		s.Ceiling = math.Max(s.Ceiling, best[b])
	}
}

// row compares one build's runs of a strategy with the reference's.
func (s *summary) row(strategy, build string, ohem, torch []record) row {
	nan := math.NaN()
	r := row{Strategy: strategy, Build: buildLabel(build), Ohem: nan, Torch: nan, Ratio: nan, Lo: nan, Hi: nan, BoundSPS: nan, OhemFrac: nan, TorchFrac: nan}
	if len(ohem) > 0 {
		r.Ohem = median(rates(ohem))
	}
	if len(torch) > 0 {
		r.Torch = median(rates(torch))
	}
	if f := mlpFlops(s.Dims, strategy, s.K, s.M); f > 0 && s.Ceiling > 0 {
		r.BoundSPS = s.Ceiling * 1e9 / f
		r.OhemFrac = r.Ohem / r.BoundSPS
		r.TorchFrac = r.Torch / r.BoundSPS
	}
	if s.Refused != "" {
		return r
	}
	byRound := map[int]float64{}
	for _, t := range torch {
		byRound[t.Round] = t.StepsPS
	}
	var ratios []float64
	for _, o := range ohem {
		if t, ok := byRound[o.Round]; ok {
			ratios = append(ratios, o.StepsPS/t)
		}
	}
	if len(ratios) > 0 {
		r.Ratio = median(ratios)
		r.Lo, r.Hi = span(ratios)
	}
	return r
}

// pick returns the runs of one side and strategy, in log order.
func (l *log) pick(side, strategy string) []record {
	var out []record
	for _, r := range l.runs {
		if r.Side == side && r.Strategy == strategy {
			out = append(out, r)
		}
	}
	return out
}

// rates returns the steps/s of runs.
func rates(runs []record) []float64 {
	x := make([]float64, len(runs))
	for i, r := range runs {
		x[i] = r.StepsPS
	}
	return x
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// pureGo reports whether side is the default pure-Go build ("purego"; logs
// written before it was renamed call it "gonum").
func pureGo(side string) bool {
	return side == ohemPrefix+"purego" || side == ohemPrefix+"gonum"
}

// buildLabel names an OHEM Lab side for the table: the default build by
// what multiplies its matrices (trainer/gemm, or gonum's Sgemm where the
// CPU lacks AVX2/FMA), the others by their build name (a -dense build
// multiplies the first layer densely: bench/ohemstep -dense).
func buildLabel(side string) string {
	switch side {
	case ohemPrefix + "purego":
		return "pure-Go (trainer/gemm)"
	case ohemPrefix + "gonum":
		return "pure-Go (logged as gonum)"
	case ohemPrefix + "purego-dense":
		return "pure-Go (trainer/gemm), dense"
	}
	return strings.TrimPrefix(side, ohemPrefix)
}

package main

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestGolden runs whole logs through run and compares the table with the
// golden files.
func TestGolden(t *testing.T) {
	tests := []struct {
		log, golden string
		refused     bool
	}{
		{"good.log", "good.golden", false},
		{"refused.log", "refused.golden", true},
	}
	for _, tt := range tests {
		t.Run(tt.log, func(t *testing.T) {
			var out bytes.Buffer
			err := run([]string{"-log", filepath.Join("testdata", tt.log)}, nil, &out)
			if tt.refused != errors.Is(err, errRefused) || (!tt.refused && err != nil) {
				t.Fatalf("run: error %v, want refused=%v", err, tt.refused)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("output differs from %s (-update to accept):\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestSummariseNumbers checks the arithmetic of the table on the good log:
// medians, per-round ratios and the FLOP bound.
func TestSummariseNumbers(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "good.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := parseLog(f)
	if err != nil {
		t.Fatal(err)
	}
	s, err := summarise(l, []int{784, 256, 10})
	if err != nil {
		t.Fatal(err)
	}
	if s.K != 128 || s.M != 32 || s.Rounds != 3 || s.Ceiling != 200 || s.GEMMN != 1024 || s.Refused != "" {
		t.Fatalf("summary header %+v", s)
	}
	find := func(strategy, build string) row {
		for _, r := range s.Rows {
			if r.Strategy == strategy && r.Build == build {
				return r
			}
		}
		t.Fatalf("no row %s/%s", strategy, build)
		return row{}
	}
	twopassFlops := 2*128*(784*256+256*10) + 2*32*(784*256+256*10) + 2*32*(784*256+2*256*10)
	tests := []struct {
		strategy, build      string
		ohem, torch          float64
		ratio, lo, hi, bound float64
	}{
		// Rounds: 150/990, 160/1000, 155/980.
		{"plain", "pure-Go (trainer/gemm)", 155, 990, 155.0 / 980, 150.0 / 990, 160.0 / 1000, 200e9 / (2*128*(784*256+256*10) + 2*128*(784*256+2*256*10))},
		// Rounds: 1000/1030, 1100/1040, 1050/1020.
		{"twopass", "openblas", 1050, 1030, 1050.0 / 1020, 1000.0 / 1030, 1100.0 / 1040, 200e9 / float64(twopassFlops)},
	}
	for _, tt := range tests {
		r := find(tt.strategy, tt.build)
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"ohem", r.Ohem, tt.ohem}, {"torch", r.Torch, tt.torch},
			{"ratio", r.Ratio, tt.ratio}, {"lo", r.Lo, tt.lo}, {"hi", r.Hi, tt.hi},
			{"bound", r.BoundSPS, tt.bound}, {"ohem frac", r.OhemFrac, tt.ohem / tt.bound},
		} {
			if math.Abs(c.got-c.want) > 1e-9*math.Abs(c.want) {
				t.Errorf("%s/%s %s = %g, want %g", tt.strategy, tt.build, c.name, c.got, c.want)
			}
		}
	}
	wantStep := map[string]float64{"ohemlab-purego": 155.0 / 255, "ohemlab-openblas": 470.0 / 1050, "torch": 990.0 / 1030}
	if len(s.StepRatio) != len(wantStep) {
		t.Fatalf("step ratios %v, want %v", s.StepRatio, wantStep)
	}
	for _, n := range s.StepRatio {
		if math.Abs(n.Value-wantStep[n.Name]) > 1e-12 {
			t.Errorf("step ratio %s = %g, want %g", n.Name, n.Value, wantStep[n.Name])
		}
	}
}

func TestSummariseMismatch(t *testing.T) {
	tests := []struct {
		name, log, wantErr string
	}{
		{"no results", "1\tgemm\t-\tGEMM {\"blas\":\"gonum\",\"n\":8,\"gflops\":1}\n", "no RESULT records"},
		{"K differs", res(1, "torch", "plain", 128, 32, 1000) + res(1, "ohemlab-gonum", "plain", 64, 64, 100), "K=64, other runs K=128"},
		{"M differs", res(1, "torch", "mask", 128, 32, 1000) + res(1, "ohemlab-gonum", "mask", 128, 16, 100), "M=16, other runs M=32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := parseLog(strings.NewReader(tt.log))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := summarise(l, []int{784, 256, 10}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("summarise error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// res formats one RESULT record of the log.
func res(round int, side, strategy string, k, m int, sps float64) string {
	var b strings.Builder
	b.WriteString(strings.Join([]string{itoa(round), side, strategy, "RESULT "}, "\t"))
	b.WriteString(`{"strategy":"` + strategy + `","K":` + itoa(k) + `,"M":` + itoa(m) + `,"blas":"openblas","steps_per_s":` + ftoa(sps) + "}\n")
	return b.String()
}

func TestParseLine(t *testing.T) {
	good := `{"strategy":"mask","K":128,"M":32,"steps_per_s":10,"blas":"openblas"}`
	tests := []struct {
		name, line, wantErr string
	}{
		{"ok torch", "1\ttorch\tmask\tRESULT " + good, ""},
		{"ok build", "2\tohemlab-openblas\tmask\tRESULT " + good, ""},
		{"ok gemm", "1\tgemm\t-\tGEMM {\"blas\":\"gonum\",\"n\":1024,\"gflops\":20}", ""},
		{"three fields", "1\ttorch\tmask", "want 4 tab-separated fields"},
		{"round word", "x\ttorch\tmask\tRESULT " + good, `round "x"`},
		{"round zero", "0\ttorch\tmask\tRESULT " + good, `round "0"`},
		{"bad side", "1\tjax\tmask\tRESULT " + good, `side "jax"`},
		{"bare prefix side", "1\tohemlab-\tmask\tRESULT " + good, `side "ohemlab-"`},
		{"bad strategy", "1\ttorch\tall\tRESULT " + good, `strategy "all"`},
		{"no RESULT", "1\ttorch\tmask\t" + good, `must start with "RESULT "`},
		{"bad json", "1\ttorch\tmask\tRESULT {", "RESULT json"},
		{"trailing", "1\ttorch\tmask\tRESULT " + good + " {}", "trailing data"},
		{"strategy mismatch", "1\ttorch\tplain\tRESULT " + good, `result is for strategy "mask", record says "plain"`},
		{"zero rate", "1\ttorch\tmask\tRESULT {\"strategy\":\"mask\",\"K\":128,\"M\":32,\"steps_per_s\":0}", "steps_per_s must be finite and > 0"},
		{"M over K", "1\ttorch\tmask\tRESULT {\"strategy\":\"mask\",\"K\":8,\"M\":9,\"steps_per_s\":1}", "K=8 M=9"},
		{"gemm no prefix", "1\tgemm\t-\t{\"blas\":\"gonum\"}", `must start with "GEMM "`},
		{"gemm no rate", "1\tgemm\t-\tGEMM {\"blas\":\"gonum\",\"n\":4}", "finite gflops > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l log
			err := l.parseLine(tt.line)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseLine: %v", err)
				}
				if len(l.runs)+len(l.gemms) != 1 {
					t.Fatalf("parsed %d runs and %d gemms, want one record", len(l.runs), len(l.gemms))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("parseLine error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseLogLineNumbers(t *testing.T) {
	in := "# comment\n\n1\ttorch\tmask\tRESULT nope\n"
	if _, err := parseLog(strings.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "line 3: ") {
		t.Fatalf("error %v, want one naming line 3", err)
	}
}

func TestRunArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"dims one", []string{"-dims", "784"}, "at least two"},
		{"dims word", []string{"-dims", "784,x"}, `width "x"`},
		{"dims zero", []string{"-dims", "784,0"}, `width "0"`},
		{"missing log", []string{"-log", filepath.Join("testdata", "absent.log")}, "absent.log"},
		{"stray", []string{"x"}, `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, strings.NewReader(""), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestMedianSpan(t *testing.T) {
	tests := []struct {
		x           []float64
		med, lo, hi float64
	}{
		{[]float64{3}, 3, 3, 3},
		{[]float64{4, 1}, 2.5, 1, 4},
		{[]float64{5, 1, 3}, 3, 1, 5},
		{[]float64{2, 9, 4, 7}, 5.5, 2, 9},
	}
	for _, tt := range tests {
		before := append([]float64(nil), tt.x...)
		if got := median(tt.x); got != tt.med {
			t.Errorf("median(%v) = %g, want %g", tt.x, got, tt.med)
		}
		if lo, hi := span(tt.x); lo != tt.lo || hi != tt.hi {
			t.Errorf("span(%v) = %g, %g, want %g, %g", tt.x, lo, hi, tt.lo, tt.hi)
		}
		for i := range before {
			if before[i] != tt.x[i] {
				t.Fatalf("median modified its input: %v, was %v", tt.x, before)
			}
		}
	}
	if lo, hi := span(nil); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("span(nil) = %g, %g, want NaNs", lo, hi)
	}
}

func TestMLPFlops(t *testing.T) {
	dims := []int{784, 256, 10}
	fwd128 := 2.0 * 128 * (784*256 + 256*10)
	tests := []struct {
		strategy string
		k, m     int
		want     float64
	}{
		{"plain", 128, 32, fwd128 + fwd128 + 2*128*256*10},
		{"mask", 128, 32, fwd128 + fwd128 + 2*128*256*10},
		{"twopass", 128, 32, fwd128 + fwd128/4 + fwd128/4 + 2*32*256*10},
		{"twopass", 128, 128, 2*fwd128 + fwd128 + 2*128*256*10},
		{"other", 128, 32, 0},
	}
	for _, tt := range tests {
		if got := mlpFlops(dims, tt.strategy, tt.k, tt.m); got != tt.want {
			t.Errorf("mlpFlops(%s, %d, %d) = %g, want %g", tt.strategy, tt.k, tt.m, got, tt.want)
		}
	}
	if got := mlpFlops([]int{5}, "plain", 4, 4); got != 0 {
		t.Errorf("one width: %g, want 0", got)
	}
}

// FuzzParseLog feeds arbitrary logs to the parser and the summary: they
// must return an error or a consistent result, never panic.
func FuzzParseLog(f *testing.F) {
	for _, name := range []string{"good.log", "refused.log"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("1\ttorch\tmask\tRESULT {\"strategy\":\"mask\",\"K\":1,\"M\":1,\"steps_per_s\":1e308}\n")
	f.Add("1\tgemm\t-\tGEMM {\"blas\":\"\",\"n\":-1,\"gflops\":NaN}\n")
	f.Add("\t\t\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		l, err := parseLog(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range l.runs {
			if !positive(r.StepsPS) || r.M > r.K || r.M < 1 || !known(r.Strategy) {
				t.Fatalf("parser accepted an invalid record %+v", r)
			}
		}
		s, err := summarise(l, []int{784, 256, 10})
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := format(&out, s); err != nil {
			t.Fatal(err)
		}
		if s.Refused != "" && strings.Contains(out.String(), "ratio") && !strings.Contains(out.String(), "NO RATIO") {
			t.Fatalf("refused summary without the refusal note:\n%s", out.String())
		}
	})
}

// TestSummariseLeavesOutUnrunStrategies: a run limited to some strategies
// (STRATEGIES=twopass) gets rows for those only.
func TestSummariseLeavesOutUnrunStrategies(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "good.log"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.Contains(line, "\tplain\t") && !strings.Contains(line, "\tmask\t") {
			kept = append(kept, line)
		}
	}
	l, err := parseLog(strings.NewReader(strings.Join(kept, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	s, err := summarise(l, []int{784, 256, 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 2 {
		t.Fatalf("%d rows, want the two builds' twopass rows: %+v", len(s.Rows), s.Rows)
	}
	for _, r := range s.Rows {
		if r.Strategy != "twopass" {
			t.Errorf("row for %s, which did not run", r.Strategy)
		}
	}
}

// TestBuildLabel checks the table's names of the builds, the -dense runs
// of bench/vs-torch.sh included.
func TestBuildLabel(t *testing.T) {
	for side, want := range map[string]string{
		"ohemlab-purego":         "pure-Go (trainer/gemm)",
		"ohemlab-gonum":          "pure-Go (logged as gonum)",
		"ohemlab-purego-dense":   "pure-Go (trainer/gemm), dense",
		"ohemlab-openblas":       "openblas",
		"ohemlab-openblas-dense": "openblas-dense",
	} {
		if got := buildLabel(side); got != want {
			t.Errorf("buildLabel(%q) = %q, want %q", side, got, want)
		}
	}
}

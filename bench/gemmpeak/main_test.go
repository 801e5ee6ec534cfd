package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
)

func TestRunArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"small", []string{"-n", "48", "-min-seconds", "0.01"}, ""},
		{"n zero", []string{"-n", "0"}, "-n 0 out of range"},
		{"n huge", []string{"-n", "9000"}, "-n 9000 out of range"},
		{"min seconds zero", []string{"-min-seconds", "0"}, "-min-seconds 0 out of range"},
		{"min seconds NaN", []string{"-min-seconds", "NaN"}, "out of range"},
		{"stray argument", []string{"-n", "8", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"-x"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(tt.args, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("run(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("run(%q): %v", tt.args, err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != len(libraries) {
				t.Fatalf("got %d lines, want one per library (%d):\n%s", len(lines), len(libraries), out.String())
			}
			for i, line := range lines {
				js, ok := strings.CutPrefix(line, "GEMM ")
				if !ok {
					t.Fatalf("line %q lacks the GEMM prefix", line)
				}
				var r Result
				if err := json.Unmarshal([]byte(js), &r); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				if r.BLAS != libraries[i].name || r.N != 48 || r.Reps < 3 || !(r.GFLOPS > 0) || !(r.BestSeconds > 0) {
					t.Errorf("implausible result %+v", r)
				}
				if want := gemmFlops(48, 48, 48) / r.BestSeconds / 1e9; r.GFLOPS != want {
					t.Errorf("gflops %g, want %g from best_seconds", r.GFLOPS, want)
				}
			}
		})
	}
}

// skewed is a deliberately wrong BLAS: it perturbs one element of C.
type skewed struct{ blas.Float32 }

func (s skewed) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	s.Float32.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	c[len(c)-1] += 0.5
}

func TestCheck(t *testing.T) {
	for _, lib := range libraries {
		if err := check(lib); err != nil {
			t.Errorf("check(%s): %v", lib.name, err)
		}
		bad := library{name: lib.name + "-skewed", impl: skewed{lib.impl}}
		if err := check(bad); err == nil || !strings.Contains(err.Error(), "skewed sgemm 1x1x1") {
			t.Errorf("check(%s) = %v, want an error for the 1x1x1 product", bad.name, err)
		}
	}
}

func TestGemmFlops(t *testing.T) {
	for _, tt := range []struct {
		m, n, k int
		want    float64
	}{{1, 1, 1, 2}, {1024, 1024, 1024, 2 * 1024 * 1024 * 1024}, {128, 256, 784, 2 * 128 * 256 * 784}} {
		if got := gemmFlops(tt.m, tt.n, tt.k); got != tt.want {
			t.Errorf("gemmFlops(%d,%d,%d) = %g, want %g", tt.m, tt.n, tt.k, got, tt.want)
		}
	}
}

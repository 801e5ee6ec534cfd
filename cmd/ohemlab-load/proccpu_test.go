package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tail := " S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 9 0 100 200 300"
	tests := []struct {
		in   string
		want float64
		err  string
	}{
		{"1234 (ohemlab)" + tail, 4, ""},
		{"1234 (a b) (c))" + tail, 4, ""},
		{"1234 ohemlab" + tail, 0, "no command name"},
		{"1234 (x) S 1 2", 0, "fields after the command name"},
		{"1234 (x) S 1 2 3 4 5 6 7 8 9 10 -5 150", 0, `CPU time "-5"`},
		{"", 0, "no command name"},
	}
	for _, tc := range tests {
		got, err := parseProcStat([]byte(tc.in))
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("parseProcStat(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseProcStat(%q) error %v, want %q", tc.in, err, tc.err)
		}
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 9 10 11"))
	f.Add([]byte("1 ()) S"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseProcStat(b)
		if err == nil && v < 0 {
			t.Fatalf("negative CPU time %v from %q", v, b)
		}
	})
}

func TestReadCPUSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	a, err := readCPU("self")
	if err != nil || !a.ok {
		t.Fatalf("readCPU(self) = %+v, %v", a, err)
	}
	// Burn CPU until the figure moves by 0.1 s. How much wall time that
	// takes depends on the machine's load (on a busy CI runner this
	// process may get a twentieth of a core), so spin in slices and read
	// again after each.
	x := 0.0
	var b cpuSample
	for deadline := time.Now().Add(30 * time.Second); ; {
		for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
			x += 1e-9
		}
		if b, err = readCPU("self"); err != nil || !b.ok {
			t.Fatalf("readCPU(self) = %+v, %v", b, err)
		}
		if b.seconds-a.seconds >= 0.1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time moved %.2f s in 30 s of spinning", b.seconds-a.seconds)
		}
	}
	if c := cores(a, b); c <= 0 || c > 64 || x == 0 {
		t.Errorf("cores = %v while spinning", c)
	}
	if _, err := readCPU("999999999"); err == nil {
		t.Error("readCPU of a process that does not exist: no error")
	}
	if cores(cpuSample{}, b) != 0 {
		t.Error("cores with a missing sample is not 0")
	}
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// it is 100 on every Linux platform Go supports.
const clockTicks = 100

// cpuSample is a process's CPU time (user + system) at a moment.
type cpuSample struct {
	seconds float64
	at      time.Time
	ok      bool
}

// readCPU reads the CPU time of process pid ("self" for this one) from
// /proc. Where /proc is missing (not Linux) it returns a sample with ok
// false and no error: CPU figures are then left out of the report.
func readCPU(pid string) (cpuSample, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		if os.IsNotExist(err) && pid == "self" {
			return cpuSample{}, nil
		}
		return cpuSample{}, fmt.Errorf("CPU time of process %s: %v", pid, err)
	}
	s, err := parseProcStat(b)
	return cpuSample{seconds: s, at: time.Now(), ok: err == nil}, err
}

// parseProcStat returns utime + stime in seconds from the contents of a
// /proc/PID/stat file. The command name (field 2) is in parentheses and
// may itself contain spaces and parentheses, so fields are counted after
// the last ')'.
func parseProcStat(b []byte) (float64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat %q: no command name in parentheses", truncate(b))
	}
	f := bytes.Fields(b[i+1:])
	// After ")" come field 3 (state) onwards: utime is field 14, stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat %q: %d fields after the command name, want at least 13", truncate(b), len(f))
	}
	var total float64
	for _, s := range f[11:13] {
		v, err := strconv.ParseUint(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat %q: CPU time %q is not a count of ticks", truncate(b), s)
		}
		total += float64(v)
	}
	return total / clockTicks, nil
}

// cores returns the CPU cores used on average between a and b, or 0 when
// either sample is missing.
func cores(a, b cpuSample) float64 {
	dt := b.at.Sub(a.at).Seconds()
	if !a.ok || !b.ok || dt <= 0 {
		return 0
	}
	return (b.seconds - a.seconds) / dt
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// cpuWatch samples the CPU time of this tool and, when pid is not 0, of
// the server.
type cpuWatch struct{ pid int }

func newCPUWatch(pid int) cpuWatch { return cpuWatch{pid: pid} }

// cpuPair is one sample of both processes.
type cpuPair struct{ server, self cpuSample }

func (w cpuWatch) sample() (cpuPair, error) {
	var p cpuPair
	var err error
	if p.self, err = readCPU("self"); err != nil {
		return p, err
	}
	if w.pid != 0 {
		if p.server, err = readCPU(strconv.Itoa(w.pid)); err != nil {
			return p, fmt.Errorf("--server-pid: %v", err)
		}
	}
	return p, nil
}

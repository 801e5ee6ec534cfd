package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary run killChild instead of the tests.
const childEnv = "OHEMLAB_STORE_KILL_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(killChild(dir))
	}
	os.Exit(m.Run())
}

// Child pacing: every run has childRunSteps steps per arm, an eval every
// childEvalEvery steps and an explicit flush every childFlushEvery steps.
const (
	childRunSteps   = 600
	childEvalEvery  = 50
	childFlushEvery = 100
)

// killChild writes runs in a loop until it is killed. After every
// successful Flush it prints "flushed RUN STEP SEED" on stdout: everything
// up to that step of that run must survive a kill.
func killChild(dir string) int {
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rec := s.NewRecorder(RecorderOptions{FlushEvery: 20 * time.Millisecond, FlushRows: 64})
	out := bufio.NewWriter(os.Stdout)
	for seed := int64(1); ; seed++ {
		cfg := testConfig(seed)
		publishRun(rec, seed, cfg, 0, 0) // the reset only
		for step := int64(1); step <= childRunSteps; step++ {
			for a := range cfg.Arms {
				rec.Publish(fakeBatch(seed, a, step))
			}
			if step%childEvalEvery == 0 {
				for a := range cfg.Arms {
					rec.Publish(fakeEval(seed, a, step))
				}
			}
			if step%childFlushEvery == 0 {
				if err := rec.Flush(); err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
				fmt.Fprintf(out, "flushed %d %d %d\n", rec.RunID(), step, seed)
				out.Flush()
			}
		}
	}
}

// flushMark is one "flushed" line of the child.
type flushMark struct{ run, step, seed int64 }

// runChild starts a writer child on dir, waits for minFlushes flush lines
// and kills it with SIGKILL while it is still writing.
func runChild(t *testing.T, dir string, minFlushes int, delay time.Duration) []flushMark {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var marks []flushMark
	sc := bufio.NewScanner(stdout)
	for len(marks) < minFlushes && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "flushed" {
			t.Fatalf("child said %q", sc.Text())
		}
		var m flushMark
		m.run, _ = strconv.ParseInt(f[1], 10, 64)
		m.step, _ = strconv.ParseInt(f[2], 10, 64)
		m.seed, _ = strconv.ParseInt(f[3], 10, 64)
		marks = append(marks, m)
	}
	// Keep reading so that the child never blocks on a full pipe.
	go func() {
		for sc.Scan() {
		}
	}()
	time.Sleep(delay)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if len(marks) < minFlushes {
		t.Fatalf("child stopped after %d flushes: %v\n%s", len(marks), err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child was not killed by the signal: %v\n%s", err, stderr.String())
	}
	return marks
}

func TestKillDuringWrites(t *testing.T) {
	dir := t.TempDir()
	var all []flushMark
	// Kill three children at different moments, the same database each time.
	for i, delay := range []time.Duration{0, 7 * time.Millisecond, 23 * time.Millisecond} {
		marks := runChild(t, dir, 8+3*i, delay)
		all = append(all, marks...)

		s, err := Open(dir)
		if err != nil {
			t.Fatalf("after kill %d: database does not open: %v", i+1, err)
		}
		var check string
		if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("after kill %d: integrity_check = %q, %v", i+1, check, err)
		}
		// Every run is readable, and every flushed run is intact up to its
		// last flush.
		runs, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range runs {
			if _, err := s.Get(info.ID); err != nil {
				t.Fatalf("after kill %d: run %d: %v", i+1, info.ID, err)
			}
		}
		last := map[int64]flushMark{}
		for _, m := range all {
			if m.step > last[m.run].step {
				last[m.run] = m
			}
		}
		for _, m := range last {
			checkRunUpTo(t, s, m)
		}
		s.Close()
	}
	runs := map[int64]bool{}
	for _, m := range all {
		runs[m.run] = true
	}
	if len(runs) < 3 {
		t.Errorf("the children flushed only %d runs; the test wants runs cut by kills and runs completed", len(runs))
	}
	t.Logf("%d flushes over %d runs survived 3 kills", len(all), len(runs))
}

// checkRunUpTo asserts that run m.run holds exactly the child's series for
// steps 1..m.step (and possibly more).
func checkRunUpTo(t *testing.T, s *Store, m flushMark) {
	t.Helper()
	r, err := s.Get(m.run)
	if err != nil {
		t.Fatalf("run %d: %v", m.run, err)
	}
	if r.Config.Seed != m.seed {
		t.Fatalf("run %d: seed %d, want %d", m.run, r.Config.Seed, m.seed)
	}
	if int64(len(r.Metrics)) < 2*m.step {
		t.Fatalf("run %d: %d metrics, want at least %d (flushed up to step %d)", m.run, len(r.Metrics), 2*m.step, m.step)
	}
	for i, got := range r.Metrics[:2*m.step] {
		if want := wantMetric(m.seed, i%2, int64(i/2+1)); !sameMetric(got, want) {
			t.Fatalf("run %d metric %d = %+v, want %+v", m.run, i, got, want)
		}
	}
	evals := 0
	for _, e := range r.Evals {
		if e.Step <= m.step {
			evals++
			if want := fakeEval(m.seed, e.Arm, e.Step); e.TestAccuracy != want.TestAccuracy {
				t.Fatalf("run %d eval %+v, want accuracy %v", m.run, e, want.TestAccuracy)
			}
		}
	}
	if want := int(2 * (m.step / childEvalEvery)); evals != want {
		t.Fatalf("run %d: %d evals up to step %d, want %d", m.run, evals, m.step, want)
	}
}

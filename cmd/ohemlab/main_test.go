package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/internal/banner"
	"github.com/ohemlab/ohemlab/web/store"
)

// mainEnv makes the test binary run main instead of the tests, so that the
// real process (signals, exit codes, stderr) can be tested.
const mainEnv = "OHEMLAB_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Args = append([]string{"ohemlab"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command returns the test binary set up to run main with args.
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	return cmd
}

// TestMainExitCodes checks the process: usage errors exit 2 and other
// errors 1, each with exactly one line on stderr.
func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--k", "x"}, 2, "ohemlab: --k: "},
		{[]string{"bogus"}, 2, `ohemlab: unknown command "bogus"`},
		{[]string{"train", "--dataset", "csv:does-not-exist.csv", "--steps", "1"}, 1, "ohemlab: "},
		{[]string{"version"}, 0, ""},
	}
	for _, tc := range tests {
		var stderr strings.Builder
		cmd := command(tc.args...)
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if code != tc.code {
			t.Errorf("%q: exit code %d, want %d (stderr %q)", tc.args, code, tc.code, stderr.String())
		}
		if tc.code == 0 {
			continue
		}
		if s := stderr.String(); !strings.HasPrefix(s, tc.want) || strings.Count(s, "\n") != 1 {
			t.Errorf("%q: stderr %q, want one line starting with %q", tc.args, s, tc.want)
		}
	}
}

// TestMainSignals starts the dashboard as a real process and stops it with
// SIGINT and SIGTERM: it must exit 0 within a few seconds.
func TestMainSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := command("serve", "--addr", "127.0.0.1:0", "--store-dir", dir, "--dataset", "spiral")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 16)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			url := ""
			timeout := time.After(60 * time.Second)
			for url == "" {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("stdout closed before the listening line; stderr:\n%s", stderr.String())
					}
					url = banner.URL(l)
				case <-timeout:
					cmd.Process.Kill()
					t.Fatal("no listening line within 60 s")
				}
			}
			// Let it train a little: the run must exist before the signal.
			if err := pollTrainingStarted(url, 60*time.Second); err != nil {
				cmd.Process.Kill()
				t.Fatalf("%v; stderr:\n%s", err, stderr.String())
			}
			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				for range lines {
				}
				done <- cmd.Wait()
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit after %v: %v; stderr:\n%s", sig, err, stderr.String())
				}
				took := time.Since(start)
				if took > 5*time.Second {
					t.Errorf("took %v to exit after %v, want under 5 s", took, sig)
				}
				t.Logf("exited %v after %v", took, sig)
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 15 s after %v", sig)
			}
			// The run was flushed and marked finished.
			db, err := store.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			runs, err := db.List()
			if err != nil || len(runs) != 1 || runs[0].Finished == nil || runs[0].Dataset != "spiral" {
				t.Errorf("saved runs after %v: %+v, %v; want one finished spiral run", sig, runs, err)
			}
		})
	}
}

// pollTrainingStarted polls url's /api/state until training has taken a step.
func pollTrainingStarted(url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		var st struct {
			Step int64 `json:"step"`
		}
		resp, err := http.Get(url + "api/state")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
		if err == nil && st.Step > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("training did not advance within %v: step %d, %v", within, st.Step, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

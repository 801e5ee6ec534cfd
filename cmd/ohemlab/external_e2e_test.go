package main

// End-to-end tests of serve --source external with the PyTorch example of
// clients/python: one process steered from the page, and two ranks under
// torch.distributed.run. They need Debian's python3-torch (for
// /usr/bin/python3) and skip without it unless E2E_REQUIRED=1.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// systemPython is the interpreter Debian's python3-torch installs into.
const systemPython = "/usr/bin/python3"

// e2eTorch skips (fails with E2E_REQUIRED=1) when PyTorch is missing.
func e2eTorch(t *testing.T) {
	t.Helper()
	if err := exec.Command(systemPython, "-c", "import torch").Run(); err != nil {
		if os.Getenv("E2E_REQUIRED") == "1" {
			t.Fatalf("E2E_REQUIRED=1 but %s cannot import torch (apt-get install python3-torch): %v", systemPython, err)
		}
		t.Skipf("%s cannot import torch: %v", systemPython, err)
	}
}

// exampleResult is what torch_mnist.py --json prints.
type exampleResult struct {
	Rank         int        `json:"rank"`
	World        int        `json:"world"`
	Steps        int        `json:"steps"`
	K            int        `json:"k"`
	MHistory     [][2]int   `json:"m_history"`
	MPerStep     []int      `json:"m_per_step"`
	TestAccuracy float64    `json:"test_accuracy"`
	Reported     int        `json:"reported"`
	Refused      int        `json:"refused"`
	Arms         []struct{} `json:"arms"`
}

// startExample runs the example (through torch.distributed.run when
// nproc > 1) against base and returns a function that waits for it and
// parses every rank's JSON line.
func startExample(t *testing.T, base string, nproc int, args ...string) func() []exampleResult {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join("clients", "python", "examples", "torch_mnist.py")
	full := []string{script, "--url", base, "--json", "--threads", "1"}
	if nproc > 1 {
		// --redirects/--tee 2: torch 1.13's launcher cannot parse its
		// default "0" on Python 3.12 (Std.NONE is not iterated).
		full = append([]string{"-m", "torch.distributed.run", "--redirects", "2", "--tee", "2",
			"--nproc_per_node", fmt.Sprint(nproc), "--master_port", fmt.Sprint(freePort(t))}, full...)
	}
	cmd := exec.Command(systemPython, append(full, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(root, "clients", "python"), "OMP_NUM_THREADS=1")
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the example's stderr:\n%s", stderr.String())
		}
	})
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the launcher's workers go with it
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-done:
		default:
		}
	})
	return func() []exampleResult {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the example failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
		case <-time.After(5 * time.Minute):
			t.Fatalf("the example did not finish in 5 minutes\nstderr:\n%s", stderr.String())
		}
		var out []exampleResult
		for _, line := range strings.Split(stdout.String(), "\n") {
			if i := strings.IndexByte(line, '{'); i >= 0 {
				var r exampleResult
				if err := json.Unmarshal([]byte(line[i:]), &r); err == nil {
					out = append(out, r)
				}
			}
		}
		if len(out) != nproc {
			t.Fatalf("%d JSON results, want %d\nstdout:\n%s\nstderr:\n%s", len(out), nproc, stdout.String(), stderr.String())
		}
		return out
	}
}

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// postControl sends one control message.
func postControl(t *testing.T, base, msg string) {
	t.Helper()
	res, err := http.Post(base+"api/control", "application/json", strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("control %s: HTTP %d", msg, res.StatusCode)
	}
}

// historyOf is what the tests read of GET /api/history.
type historyOf struct {
	Rows []struct {
		Step int64 `json:"step"`
	} `json:"rows"`
	Configs []struct {
		Version int64    `json:"version"`
		Step    int64    `json:"step"`
		Changed []string `json:"changed"`
	} `json:"configs"`
}

// waitStep waits until the run has reported step n.
func waitStep(t *testing.T, base string, n int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var st struct{ Step int64 }
		getJSONAt(t, base, "api/state", &st)
		if st.Step >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("step %d not reached in %v (at %d)", n, limit, st.Step)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitConnected waits until a training process has said hello.
func waitConnected(t *testing.T, base string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var st struct{ Status string }
		getJSONAt(t, base, "api/state", &st)
		if st.Status != "waiting" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no training process connected in %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mChange returns the first config that changed arms[0].m, waiting for it.
func mChange(t *testing.T, base string) (version, step int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var h historyOf
		getJSONAt(t, base, "api/history", &h)
		for _, c := range h.Configs {
			for _, f := range c.Changed {
				if f == "arms[0].m" {
					return c.Version, c.Step
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no config with arms[0].m changed")
	return 0, 0
}

// TestE2EExternalTorch: the PyTorch example trains against serve --source
// external for 300 steps; after step 100 M is changed on the page; the
// example's m_history has the new M within 2 steps of the step the server
// acknowledged the change at (exactly that step: the client reports the
// control version each batch used, and the server stamps the change at the
// first batch that used it), and the page drew the run's histogram and
// gallery. The run is saved.
func TestE2EExternalTorch(t *testing.T) {
	e2eTorch(t)
	browser := e2eChrome(t)
	// Paused: the trainer waits at its first step until the test has set
	// the speed cap and resumes, however fast the machine is.
	base := e2eServe(t, "--source", "external", "--paused", "--store-dir", t.TempDir())
	tb := e2eTab(t, browser, true)
	tb.do(t, "open the dashboard", 30*time.Second,
		chromedp.EmulateViewport(1600, 1000),
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.ID("hist-canvas")),
	)
	tb.waitFor(t, "the page says how to start a trainer", `document.querySelector('#status').dataset.state === 'waiting' &&
		document.querySelector('#status').textContent.includes('torch_mnist.py --url `+base+`')`, 10*time.Second)

	wait := startExample(t, base, 1, "--steps", "300")
	waitConnected(t, base, 90*time.Second)
	// A speed cap keeps a step (≥ 40 ms) well above a loopback round trip
	// plus the client's 5 ms request gathering for slow steps on a loaded machine, so
	// that "within 2 steps" tests the protocol.
	postControl(t, base, `{"type":"speed","steps_per_s":25}`)
	postControl(t, base, `{"type":"resume"}`)
	tb.waitFor(t, "batch frames of the external run", `window.OHEM && OHEM.S.frames >= 5`, 30*time.Second)
	waitStep(t, base, 101, 60*time.Second)
	tb.setControl(t, `input[data-field="m"][data-arm="0"]`, "8")
	_, ackStep := mChange(t, base)
	tb.waitFor(t, "kept count 8 of 128", `document.querySelector('#kept-count').textContent === '8 / 128'`, 20*time.Second)
	if n := ink(t, tb, "#hist-canvas"); n < 2000 {
		t.Errorf("histogram canvas has %d drawn pixels, want a histogram", n)
	}
	tb.waitFor(t, "the gallery shows the kept examples' images", `(g => Number(g.dataset.count) === 8 &&
		Array.from(g.querySelectorAll('.tile:not([hidden]) img')).filter(i => i.complete && i.naturalWidth === 28).length === 8)(document.querySelector('#gallery'))`, 20*time.Second)
	tb.screenshot(t, "external.png")

	res := wait()[0]
	if res.Steps != 300 || len(res.MPerStep) != 300 || res.Refused != 0 {
		t.Fatalf("example result: steps %d, %d M entries, %d refused", res.Steps, len(res.MPerStep), res.Refused)
	}
	if len(res.MHistory) != 2 || res.MHistory[0] != [2]int{0, 32} || res.MHistory[1][1] != 8 {
		t.Fatalf("m_history = %v, want [[0 32] [S 8]]", res.MHistory)
	}
	t.Logf("M = 8 acknowledged for step %d, used from step %d", ackStep, res.MHistory[1][0])
	if d := int64(res.MHistory[1][0]) - ackStep; d != 0 {
		t.Errorf("M = 8 used from step %d; the server stamped the change at step %d: %d steps apart, want the same step", res.MHistory[1][0], ackStep, d)
	}
	if res.TestAccuracy < 0.8 {
		t.Errorf("test accuracy %v after 300 steps", res.TestAccuracy)
	}
	runs := listRuns(t, base)
	if len(runs) != 1 {
		t.Fatalf("%d saved runs, want the external run", len(runs))
	}
	// The saved run's change list has the change at the step it was used.
	var saved struct {
		Changes []struct {
			Step    int64    `json:"step"`
			Changed []string `json:"changed"`
		} `json:"changes"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for found := false; !found; {
		getJSONAt(t, base, fmt.Sprintf("api/runs/%d", runs[0].ID), &saved)
		for _, c := range saved.Changes {
			if slices.Contains(c.Changed, "arms[0].m") {
				found = true
				if c.Step != int64(res.MHistory[1][0]) {
					t.Errorf("saved run: M change at step %d, the example used M = 8 from step %d", c.Step, res.MHistory[1][0])
				}
			}
		}
		if !found && time.Now().After(deadline) {
			t.Fatalf("saved run's changes %+v: no change of arms[0].m", saved.Changes)
		}
		if !found {
			time.Sleep(50 * time.Millisecond)
		}
	}
	noConsoleErrors(t, tb)
}

// TestE2EExternalTorchrun: two ranks under torch.distributed.run report
// one run whose batches hold K = 2 × 128 examples from both ranks, and a
// change of M applies at the same step on both ranks.
func TestE2EExternalTorchrun(t *testing.T) {
	e2eTorch(t)
	base := e2eServe(t, "--source", "external", "--paused", "--no-store")
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	type batchFrame struct {
		Type     string `json:"type"`
		K        int    `json:"k"`
		Examples []struct {
			Rank *int `json:"rank"`
		} `json:"examples"`
	}
	var mu sync.Mutex
	var frames []batchFrame
	go func() {
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f batchFrame
			if json.Unmarshal(b, &f) == nil && f.Type == "batch" {
				mu.Lock()
				frames = append(frames, f)
				mu.Unlock()
			}
		}
	}()
	wait := startExample(t, base, 2, "--steps", "60", "--no-images")
	waitConnected(t, base, 120*time.Second)
	postControl(t, base, `{"type":"speed","steps_per_s":40}`)
	postControl(t, base, `{"type":"resume"}`)
	waitStep(t, base, 20, 60*time.Second)
	postControl(t, base, `{"type":"set","arm":0,"m":8}`)
	res := wait()
	mu.Lock()
	if len(frames) == 0 {
		t.Fatal("no batch frame")
	}
	for _, f := range frames {
		ranks := map[int]int{}
		for _, e := range f.Examples {
			if e.Rank != nil {
				ranks[*e.Rank]++
			}
		}
		if f.K != 256 || len(ranks) != 2 {
			t.Errorf("batch frame: k = %d, kept examples by rank %v: want k = 256 with examples of ranks 0 and 1", f.K, ranks)
		}
	}
	mu.Unlock()
	a, b := res[0], res[1]
	if a.World != 2 || len(a.MPerStep) != 60 || len(b.MPerStep) != 60 {
		t.Fatalf("results: %+v", res)
	}
	for i := range a.MPerStep {
		if a.MPerStep[i] != b.MPerStep[i] {
			t.Fatalf("step %d: rank %d used M = %d, rank %d M = %d", i+1, a.Rank, a.MPerStep[i], b.Rank, b.MPerStep[i])
		}
	}
	if last := a.MPerStep[59]; last != 8 {
		t.Errorf("M at the last step = %d, want 8", last)
	}
	var st struct {
		Arms []struct {
			ExamplesSeen int64 `json:"examples_seen"`
		} `json:"arms"`
	}
	getJSONAt(t, base, "api/state", &st)
	if len(st.Arms) != 1 || st.Arms[0].ExamplesSeen != 60*256 {
		t.Errorf("examples seen %+v, want 60 merged steps of 256", st.Arms)
	}
}

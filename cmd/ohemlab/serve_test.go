package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/web/store"
)

// lockedBuffer is an io.Writer safe for concurrent use whose content can be
// polled.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenLine = regexp.MustCompile(`OHEM Lab listening on (http://\S+/)\n`)

// startServe runs "ohemlab serve" with args in the background and returns
// the dashboard URL it printed, its output and a stop function that cancels
// it and returns run's error and how long shutting down took.
func startServe(t *testing.T, args ...string) (string, *lockedBuffer, *lockedBuffer, func() (error, time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), stdout, stderr) }()
	stopped := false
	stop := func() (error, time.Duration) {
		stopped = true
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			return err, time.Since(start)
		case <-time.After(15 * time.Second):
			t.Fatalf("serve did not return within 15 s of cancel\nstderr:\n%s", stderr.String())
			return nil, 0
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenLine.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout, stderr, stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no listening line within 60 s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return "", nil, nil, nil
}

// get fetches url and returns status and body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading: %v", url, err)
	}
	return resp.StatusCode, b
}

// TestServeLoopback starts the dashboard on a free loopback port, checks
// health and state while training runs, saves to a temporary store and
// shuts down on cancel within a few seconds.
func TestServeLoopback(t *testing.T) {
	dir := t.TempDir()
	url, stdout, _, stop := startServe(t, "--addr", "127.0.0.1:0", "--store-dir", dir,
		"--dataset", "circle", "--k", "32", "--m", "8")
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0/") {
		t.Fatalf("URL %q: want the real loopback port", url)
	}
	if strings.Contains(stdout.String(), "token") {
		t.Errorf("a token was printed for a loopback address:\n%s", stdout.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := get(t, url+"healthz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz = %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var st struct {
		Config struct {
			K    int `json:"k"`
			Data struct {
				Name string `json:"name"`
			} `json:"data"`
		} `json:"config"`
		Step   int64  `json:"step"`
		Status string `json:"status"`
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		code, body := get(t, url+"api/state")
		if code != http.StatusOK {
			t.Fatalf("/api/state = %d: %s", code, body)
		}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("/api/state is not JSON: %v: %s", err, body)
		}
		if st.Step > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("training did not advance: state %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.Config.K != 32 || st.Config.Data.Name != "circle" {
		t.Errorf("state config = %+v, want circle with K=32", st.Config)
	}
	if code, _ := get(t, url); code != http.StatusOK {
		t.Errorf("GET / = %d", code)
	}
	err, took := stop()
	if err != nil {
		t.Errorf("serve returned %v after cancel, want nil", err)
	}
	if took > 5*time.Second {
		t.Errorf("shutdown took %v, want under 5 s", took)
	}
	if _, err := http.Get(url + "healthz"); err == nil {
		t.Errorf("server still answers after shutdown")
	}

	// The run was saved and flushed on shutdown, up to the last step.
	db, err := store.Open(dir)
	if err != nil {
		t.Fatalf("reopening the store: %v", err)
	}
	defer db.Close()
	runs, err := db.List()
	if err != nil || len(runs) != 1 {
		t.Fatalf("saved runs = %+v, %v; want one", runs, err)
	}
	saved, err := db.Get(runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Config.K != 32 || saved.Dataset != "circle" || len(saved.Metrics) < int(st.Step) || saved.Finished == nil {
		t.Errorf("saved run: K=%d dataset=%q metrics=%d (state was at step %d) finished=%v",
			saved.Config.K, saved.Dataset, len(saved.Metrics), st.Step, saved.Finished)
	}
}

var presenterLine = regexp.MustCompile(`Presenter URL [^:]*: (http://\S+)\?token=([A-Za-z0-9_.~-]+)\n`)

// TestServePresenter listens on every interface: a control token is
// generated and shown only in the presenter URL on stdout.
func TestServePresenter(t *testing.T) {
	url, stdout, stderr, stop := startServe(t, "--addr", "0.0.0.0:0", "--no-store", "--log-level", "debug",
		"--dataset", "xor", "--paused")
	m := presenterLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no presenter URL with a token:\n%s", stdout.String())
	}
	base, token := m[1], m[2]
	if base != url || len(token) < minTokenLen {
		t.Errorf("presenter URL %s?token=%s: want %s and a token of at least %d characters", base, token, url, minTokenLen)
	}
	code, body := get(t, url+"api/state")
	if code != http.StatusOK || strings.Contains(string(body), token) {
		t.Errorf("/api/state = %d, or it leaks the token", code)
	}
	// Without the token a control request is refused; with it, accepted.
	resp, err := http.Post(url+"api/control", "application/json", strings.NewReader(`{"type":"step"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("control without token = %d, want 403", resp.StatusCode)
	}
	resp, err = http.Post(url+"api/control?token="+token, "application/json", strings.NewReader(`{"type":"step"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("control with the token = %d, want 200", resp.StatusCode)
	}
	if err, _ := stop(); err != nil {
		t.Errorf("serve returned %v", err)
	}
	if strings.Contains(stderr.String(), token) {
		t.Errorf("the token appears in the log")
	}
	if n := strings.Count(stdout.String(), token); n != 1 {
		t.Errorf("the token appears %d times on stdout, want once (the presenter URL)", n)
	}
}

// TestServeGivenToken takes the token from the environment on loopback.
func TestServeGivenToken(t *testing.T) {
	const tok = "given-token-0123456789"
	t.Setenv(tokenEnv, tok)
	url, stdout, _, stop := startServe(t, "--addr", "127.0.0.1:0", "--no-store", "--dataset", "gauss", "--paused", "--large")
	if !strings.Contains(stdout.String(), "Large type for projectors: "+url+"?large=1\n") {
		t.Errorf("no large-type URL:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), url+"?large=1&token="+tok+"\n") {
		t.Errorf("presenter URL with the given token missing:\n%s", stdout.String())
	}
	if err, _ := stop(); err != nil {
		t.Errorf("serve returned %v", err)
	}
}

// TestServePortInUse checks the message when the port is taken.
func TestServePortInUse(t *testing.T) {
	url, _, _, _ := startServe(t, "--addr", "127.0.0.1:0", "--no-store", "--dataset", "xor", "--paused")
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"serve", "--addr", addr, "--no-store", "--dataset", "xor"}, &out, &errOut)
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("second server on %s: %v, want an exit-1 error saying the port is in use", addr, err)
	}
}

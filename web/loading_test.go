package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

// TestServesWhileLoading checks that a server whose trainer is still
// loading its data (trainer.Options.LoadInRun) serves the page and answers
// every query with the loading state, refuses changes with the reason,
// and then goes live with a reset config frame when Run has loaded.
func TestServesWhileLoading(t *testing.T) {
	var srv *Server
	ready := make(chan struct{})
	forward := trainer.SinkFunc(func(ev trainer.Event) {
		<-ready
		srv.Publish(ev)
	})
	cfg := trainer.DefaultConfig("circle")
	cfg.Data.Size = 400
	tr, err := trainer.New(cfg, trainer.Options{Sink: forward, LoadInRun: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err = New(Options{Trainer: tr, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	ts := httptest.NewServer(srv.Handler())
	e := &testEnv{s: srv, ts: ts, logs: &syncBuffer{}}
	t.Cleanup(func() { srv.Close(); ts.Close() })

	if code, _, body := e.get(t, "/"); code != http.StatusOK || !strings.Contains(string(body), "loading the circle data") {
		t.Errorf("GET / while loading: %d, want 200 and the loading reason in the banner", code)
	}
	if code, _, body := e.get(t, "/api/state"); code != http.StatusOK || jsonBody(t, body)["status"] != trainer.StateLoading {
		t.Errorf("GET /api/state while loading: %d %s", code, body)
	}
	if code, _, body := e.get(t, "/api/datamap"); code != http.StatusOK || !strings.Contains(string(body), `"points":[]`) {
		t.Errorf("GET /api/datamap while loading: %d %s, want 200 and no points", code, body)
	}
	if code, _, _ := e.get(t, "/fragments/hardest?arm=0"); code != http.StatusOK {
		t.Errorf("GET /fragments/hardest while loading: %d, want 200", code)
	}
	if code, _, body := e.get(t, "/api/examples/0.png"); code != http.StatusNotFound || !strings.Contains(string(body), "still loading") {
		t.Errorf("GET /api/examples/0.png while loading: %d %s, want 404 saying the data is loading", code, body)
	}
	c, hello := e.dial(t, "")
	if st := hello["state"].(map[string]any); st["status"] != trainer.StateLoading {
		t.Errorf("hello while loading: status %v", st["status"])
	}
	send(t, c, `{"type":"set","arm":0,"m":8}`)
	if f := readUntil(t, c, "error"); !strings.Contains(f["error"].(string), "still loading") {
		t.Errorf("a change while loading: %v, want the loading reason", f["error"])
	}

	runTrainer(t, tr)
	// The page compares versions (a change the history holds but hello did
	// not know is the config in force): the loaded run's must be newer
	// than the loading state's, or a page that opened while loading keeps
	// the loading state (no image size) for good.
	helloVersion := hello["state"].(map[string]any)["version"].(float64)
	if f := readUntil(t, c, "config"); f["reset"] != true || f["version"].(float64) <= helloVersion {
		t.Errorf("first config frame after loading: reset %v, version %v; want a reset newer than hello's version %v", f["reset"], f["version"], helloVersion)
	}
	readUntil(t, c, "batch")
	if code, _, body := e.get(t, "/api/state"); code != http.StatusOK || jsonBody(t, body)["status"] != trainer.StateRunning {
		t.Errorf("GET /api/state after loading: %d %s", code, body)
	}
}

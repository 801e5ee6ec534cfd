package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/web/store"
)

// TestServeExternal: --source external serves the dashboard without a
// trainer, says how to start one, takes a trainer's reports and saves
// them as a run.
func TestServeExternal(t *testing.T) {
	dir := t.TempDir()
	url, stdout, stderr, stop := startServe(t, "--source", "external", "--addr", "127.0.0.1:0", "--store-dir", dir)
	if out := stdout.String(); !strings.Contains(out, "torch_mnist.py --url "+url) {
		t.Errorf("the banner does not say how to start a trainer:\n%s", out)
	}
	code, b := get(t, url+"api/state")
	var st struct{ Status, Reason string }
	if code != 200 || json.Unmarshal(b, &st) != nil || st.Status != "waiting" || !strings.Contains(st.Reason, "torch_mnist.py --url "+url) {
		t.Fatalf("state before a trainer: %d %s", code, b)
	}
	body := `{"session":"t","hello":{"dataset":"mnist","classes":10,"k":2,"arms":[{"strategy":"topk","m":1}]},"batches":[{"arm":0,"step":1,"losses":[0.5,1],"labels":[0,1],"preds":[0,0],"ids":[3,4],"selected":[1]}]}`
	resp, err := http.Post(url+"api/ingest", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	// A change from the page is a marker of the saved run.
	resp, err = http.Post(url+"api/control", "application/json", strings.NewReader(`{"type":"set","arm":0,"m":2}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("control: %d", resp.StatusCode)
	}
	if err, _ := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	s, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.List()
	if err != nil || len(runs) != 1 {
		t.Fatalf("saved runs: %+v %v", runs, err)
	}
	// Reopened and exported like a built-in run.
	run, err := s.Get(runs[0].ID)
	if err != nil || len(run.Metrics) != 1 || len(run.Changes) != 1 || run.Changes[0].Config.Arms[0].Select.M != 2 || run.Config.Data.Name != "mnist" {
		t.Fatalf("saved run: %+v %v", run, err)
	}
	var exported strings.Builder
	if err := s.ExportJSON(&exported, runs[0].ID); err != nil || !strings.Contains(exported.String(), `"arms[0].m"`) {
		t.Fatalf("export: %v\n%s", err, exported.String())
	}
}

func TestServeExternalRefusesExperimentFlags(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errOut lockedBuffer
	err := run(ctx, []string{"serve", "--source", "external", "--m", "8"}, &out, &errOut)
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--m: with --source external") {
		t.Fatalf("got %v", err)
	}
	err = run(ctx, []string{"serve", "--source", "elsewhere"}, &out, &errOut)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "builtin or external") {
		t.Fatalf("got %v", err)
	}
}

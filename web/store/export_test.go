package store

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenRun records a small deterministic run and returns its id.
func goldenRun(t *testing.T, s *Store) int64 {
	t.Helper()
	rec := s.NewRecorder(RecorderOptions{Now: fixedClock()})
	cfg := testConfig(5)
	// The reset is written at once: wait for it, so that the clock is read
	// the same number of times on every run.
	rec.Publish(resetEvent(cfg))
	waitRuns(t, s, 1)
	publishSteps(rec, 1, cfg, 3, 2)
	changed := cfg
	changed.Arms = append([]trainer.ArmConfig(nil), cfg.Arms...)
	changed.Arms[1].Select.M = 4
	rec.Publish(&trainer.ConfigEvent{Version: 2, Step: 4, Config: changed, Changed: []string{"arms[1].m"}})
	nan := fakeBatch(1, 0, 4)
	nan.BatchLoss = math.NaN()
	rec.Publish(nan)
	rec.Publish(&trainer.StatusEvent{State: trainer.StateDiverged, Reason: "loss is NaN at step 4", Step: 4})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	runs, err := s.List()
	if err != nil || len(runs) != 1 {
		t.Fatalf("List: %v, %v", runs, err)
	}
	return runs[0].ID
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n got: %s\nwant: %s", name, got, want)
	}
}

func TestExport(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	id := goldenRun(t, s)

	var csvOut bytes.Buffer
	if err := s.ExportCSV(&csvOut, id); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.csv", csvOut.Bytes())
	recs, err := csv.NewReader(bytes.NewReader(csvOut.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("exported CSV does not parse: %v", err)
	}
	// 7 steps, 2 evaluations (one per arm) and 1 config change
	kinds := map[string]int{}
	for _, r := range recs[1:] {
		kinds[r[len(r)-5]]++
	}
	if len(recs) != 1+7+3 || len(recs[0]) != len(CSVHeader) || kinds["step"] != 7 || kinds["eval"] != 2 || kinds["change"] != 1 {
		t.Errorf("CSV has %d records of %d fields, kinds %v; want 11 of %d: 7 steps, 2 evaluations, 1 change", len(recs), len(recs[0]), kinds, len(CSVHeader))
	}

	var jsonOut bytes.Buffer
	if err := s.ExportJSON(&jsonOut, id); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.json", jsonOut.Bytes())
	var back struct {
		ID      int64          `json:"id"`
		Status  string         `json:"status"`
		Config  trainer.Config `json:"config"`
		Metrics []struct {
			BatchLoss *float64 `json:"batch_loss"`
		} `json:"metrics"`
		Changes []Change `json:"changes"`
		Evals   []Eval   `json:"evals"`
	}
	if err := json.Unmarshal(jsonOut.Bytes(), &back); err != nil {
		t.Fatalf("exported JSON does not parse: %v", err)
	}
	if back.ID != id || back.Status != StatusDiverged || back.Config.Seed != 5 || len(back.Metrics) != 7 ||
		back.Metrics[6].BatchLoss != nil || len(back.Changes) != 1 || len(back.Evals) != 2 {
		t.Errorf("exported JSON: %+v", back)
	}
	if got := ExportName(id, "csv"); got != "ohemlab-run-1.csv" {
		t.Errorf("ExportName = %q", got)
	}
}

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

func TestReopenSameSeries(t *testing.T) {
	s, dir := openTemp(t)
	rec := s.NewRecorder(RecorderOptions{})
	cfg := testConfig(7)
	publishRun(rec, 1, cfg, 250, 50)
	changed := cfg
	changed.Arms = append([]trainer.ArmConfig(nil), cfg.Arms...)
	changed.Arms[0].LR = 0.05
	rec.Publish(&trainer.ConfigEvent{Version: 2, Step: 251, Config: changed, Changed: []string{"arms[0].lr"}})
	rec.Publish(&trainer.StatusEvent{State: trainer.StatePaused, Step: 251})
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	id := rec.RunID()
	if id == 0 {
		t.Fatal("no run started")
	}
	before, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if before.Status != StatusPaused {
		t.Errorf("status while paused = %q, want %q", before.Status, StatusPaused)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	after, err := s2.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != StatusFinished || after.Finished == nil {
		t.Errorf("after Close: status %q finished %v, want finished", after.Status, after.Finished)
	}
	if len(after.Metrics) != 500 || len(after.Evals) != 10 {
		t.Fatalf("reopened: %d metrics, %d evals; want 500, 10", len(after.Metrics), len(after.Evals))
	}
	for i, m := range after.Metrics {
		want := wantMetric(1, i%2, int64(i/2+1))
		if !sameMetric(m, want) {
			t.Fatalf("metric %d = %+v, want %+v", i, m, want)
		}
		if !sameMetric(m, before.Metrics[i]) {
			t.Fatalf("metric %d changed across reopen", i)
		}
	}
	if !reflect.DeepEqual(after.Evals, before.Evals) {
		t.Error("evals changed across reopen")
	}
	if !reflect.DeepEqual(after.Config, cfg) {
		t.Errorf("config = %+v, want %+v", after.Config, cfg)
	}
	if len(after.Changes) != 1 || after.Changes[0].Step != 251 || after.Changes[0].Config.Arms[0].LR != 0.05 ||
		!reflect.DeepEqual(after.Changes[0].Changed, []string{"arms[0].lr"}) {
		t.Errorf("changes = %+v", after.Changes)
	}
	sum := after.Summary
	if len(sum.Arms) != 2 || sum.Arms[0].Steps != 250 || sum.Arms[1].Evals != 5 || sum.Arms[0].Name != "topk" ||
		sum.Arms[0].BestStep != 250 || sum.State != trainer.StatePaused {
		t.Errorf("summary = %+v", sum)
	}
	if after.Dataset != "circle" || !reflect.DeepEqual(after.Arms, []string{"topk", "random"}) {
		t.Errorf("dataset %q arms %v", after.Dataset, after.Arms)
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := t.TempDir()
	if err := os.WriteFile(filepath.Join(notDB, DBFile), []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"empty", "", "empty data directory"},
		{"query char", t.TempDir() + "/a?b", "must not contain"},
		{"dir is a file", file, "create data directory"},
		{"not a database", notDB, "not a database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.dir)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestOpenNewerSchema(t *testing.T) {
	s, dir := openTemp(t)
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestOpenIsWAL(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q", mode)
	}
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion {
		t.Errorf("user_version = %d, %v; want %d", v, err, SchemaVersion)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/state")
	if d, err := DefaultDir(); err != nil || d != filepath.Join("/state", AppDir) {
		t.Errorf("with XDG_STATE_HOME: %q, %v", d, err)
	}
	t.Setenv("XDG_STATE_HOME", "relative")
	cfg, cerr := os.UserConfigDir()
	d, err := DefaultDir()
	if cerr != nil {
		if err == nil {
			t.Errorf("no config dir, yet DefaultDir = %q", d)
		}
		return
	}
	if err != nil || d != filepath.Join(cfg, AppDir) {
		t.Errorf("relative XDG_STATE_HOME: %q, %v; want under %q", d, err, cfg)
	}
}

func TestGetMissing(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	if _, err := s.Get(42); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(42): %v", err)
	}
	if _, err := s.Info(42); !errors.Is(err, ErrNotFound) {
		t.Errorf("Info(42): %v", err)
	}
	var b strings.Builder
	if err := s.ExportCSV(&b, 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("ExportCSV(42): %v", err)
	}
	if err := s.ExportJSON(&b, 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("ExportJSON(42): %v", err)
	}
	if b.Len() != 0 {
		t.Errorf("export of a missing run wrote %q", b.String())
	}
}

func TestGetSampled(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{})
	publishRun(rec, 1, testConfig(1), 1001, 100)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	id := int64(1)
	for _, tc := range []struct {
		max         int
		stride      int64
		wantPerArm  int
		wantLastArm int64
	}{
		{0, 1, 1001, 1001},
		{5000, 1, 1001, 1001},
		{1001, 1, 1001, 1001},
		{100, 11, 91, 1001}, // 1001 = 91*11
		{300, 4, 250 + 1, 1001},
		{1, 1001, 1, 1001},
	} {
		r, err := s.GetSampled(id, tc.max)
		if err != nil {
			t.Fatal(err)
		}
		if r.Stride != tc.stride || len(r.Metrics) != 2*tc.wantPerArm || len(r.Evals) != 20 {
			t.Errorf("GetSampled(%d): stride %d, %d metrics, %d evals; want %d, %d, 20",
				tc.max, r.Stride, len(r.Metrics), len(r.Evals), tc.stride, 2*tc.wantPerArm)
			continue
		}
		if got := r.Metrics[len(r.Metrics)-1]; got.Step != tc.wantLastArm || !sameMetric(got, wantMetric(1, 1, 1001)) {
			t.Errorf("GetSampled(%d): last metric %+v", tc.max, got)
		}
		for _, m := range r.Metrics {
			if m.Step%tc.stride != 0 && m.Step != 1001 {
				t.Errorf("GetSampled(%d): step %d is off the stride", tc.max, m.Step)
				break
			}
		}
	}
	if r, err := s.GetSampled(99, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSampled(99): %v, %v", r, err)
	}
}

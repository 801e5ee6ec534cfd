package store

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigrateFromVersion1 opens a database written before compute was
// counted (schema 1) with one run: it migrates, and the old run reads back
// with zero forwards and FLOPs.
func TestMigrateFromVersion1(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		migrations[0],
		`PRAGMA user_version = 1`,
		`INSERT INTO runs(id, created, updated, status, config) VALUES (1, 1, 1, 'stopped', '{"k":32}')`,
		`INSERT INTO metrics(run, arm, step, version, batch_loss, examples_seen, examples_backprop, wall) VALUES (1, 0, 1, 1, 0.5, 32, 8, 0.01)`,
		`INSERT INTO evals(run, arm, step, version, examples_backprop, wall, test_acc, per_class, confusion) VALUES (1, 0, 1, 1, 8, 0.01, 0.9, '[]', '[]')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion)
	}
	r, err := s.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Metrics) != 1 || r.Metrics[0].ExamplesBackprop != 8 || r.Metrics[0].ExamplesForward != 0 || r.Metrics[0].ComputeFLOPs != 0 {
		t.Errorf("metrics = %+v, want the old row with 0 forwarded and 0 FLOPs", r.Metrics)
	}
	if len(r.Evals) != 1 || r.Evals[0].TestAccuracy != 0.9 || r.Evals[0].ComputeFLOPs != 0 {
		t.Errorf("evals = %+v", r.Evals)
	}
}

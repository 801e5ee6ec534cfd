package store

import (
	"database/sql"
	"fmt"
)

// migrations are the schema steps; PRAGMA user_version counts how many of
// them a database has had. Append only: never edit a released step.
var migrations = []string{
	// 1: runs, live changes, per-step metrics and evaluations.
	`CREATE TABLE runs (
		id       INTEGER PRIMARY KEY AUTOINCREMENT,
		name     TEXT    NOT NULL DEFAULT '',
		created  INTEGER NOT NULL,
		updated  INTEGER NOT NULL,
		finished INTEGER,
		status   TEXT    NOT NULL,
		config   TEXT    NOT NULL,
		summary  TEXT    NOT NULL DEFAULT '{}'
	);
	CREATE TABLE changes (
		run     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		step    INTEGER NOT NULL,
		version INTEGER NOT NULL,
		changed TEXT    NOT NULL,
		config  TEXT    NOT NULL
	);
	CREATE INDEX changes_run ON changes(run, version);
	CREATE TABLE metrics (
		run               INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		arm               INTEGER NOT NULL,
		step              INTEGER NOT NULL,
		version           INTEGER NOT NULL,
		batch_loss        REAL,
		sel_loss          REAL,
		q_min             REAL,
		q10               REAL,
		q50               REAL,
		q90               REAL,
		q_max             REAL,
		kept_share        REAL,
		sel_flipped_share REAL,
		examples_seen     INTEGER NOT NULL,
		examples_backprop INTEGER NOT NULL,
		wall              REAL,
		PRIMARY KEY (run, arm, step)
	) WITHOUT ROWID;
	CREATE TABLE evals (
		run               INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
		arm               INTEGER NOT NULL,
		step              INTEGER NOT NULL,
		version           INTEGER NOT NULL,
		examples_backprop INTEGER NOT NULL,
		wall              REAL,
		test_loss         REAL,
		test_acc          REAL,
		train_loss        REAL,
		per_class         TEXT NOT NULL,
		confusion         TEXT NOT NULL,
		PRIMARY KEY (run, arm, step)
	) WITHOUT ROWID;`,
	// 2: compute accounting (examples forwarded, FLOPs) and offline's
	// pool scans. Older runs read 0: not counted.
	`ALTER TABLE metrics ADD COLUMN examples_forwarded INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE metrics ADD COLUMN compute_flops INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE metrics ADD COLUMN scanned INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE evals ADD COLUMN examples_forwarded INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE evals ADD COLUMN compute_flops INTEGER NOT NULL DEFAULT 0;`,
	// 3: pinned runs are never deleted to keep the store within its limits.
	`ALTER TABLE runs ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;`,
}

// SchemaVersion is the schema version this build writes.
var SchemaVersion = len(migrations)

// migrate brings db up to SchemaVersion in one transaction. It refuses a
// database written by a newer build.
func migrate(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("store: database schema version %d is newer than this ohemlab supports (%d): upgrade ohemlab or use another --data-dir", v, len(migrations))
	}
	if v == len(migrations) {
		return nil
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.Exec(migrations[i]); err != nil {
			return fmt.Errorf("store: schema step %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is an int we control.
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return fmt.Errorf("store: set schema version: %w", err)
	}
	return tx.Commit()
}

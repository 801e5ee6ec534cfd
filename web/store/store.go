package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Store is an open run database. Its methods are safe for concurrent use;
// readers never wait for the Recorder's writes (WAL mode).
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time

	mu     sync.Mutex
	active map[int64]int // runs being recorded by this process's Recorders
	pruned PruneReport   // what Prune deleted
}

// ErrNotFound is returned for a run id that is not in the database.
var ErrNotFound = errors.New("store: no such run")

// ErrActive is returned by Delete for a run that is still being recorded.
var ErrActive = errors.New("store: the run is still being recorded: reset or stop training first")

// busyTimeout is how long a statement waits for another connection's lock.
const busyTimeout = 5 * time.Second

// Open opens (creating if needed) the database in dir, creating dir with
// mode 0700 if it does not exist, switches it to WAL mode and migrates its
// schema. A database left behind by a killed process opens normally: SQLite
// rolls back the unfinished transaction.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("store: empty data directory")
	}
	if strings.ContainsAny(dir, "?#\x00") {
		return nil, fmt.Errorf("store: data directory %q: must not contain '?', '#' or NUL", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	dsn := path + "?_pragma=busy_timeout(" + fmt.Sprint(busyTimeout.Milliseconds()) + ")" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("store: open %s: journal mode is %q, want wal (is the directory on a network file system?)", path, mode)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, path: path, now: time.Now, active: map[int64]int{}}, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database. Close every Recorder first.
func (s *Store) Close() error { return s.db.Close() }

// markActive records that a Recorder of this process writes run id (d = 1)
// or stopped writing it (d = -1).
func (s *Store) markActive(id int64, d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active[id] += d
	if s.active[id] <= 0 {
		delete(s.active, id)
	}
}

// isActive reports whether a Recorder of this process writes run id.
func (s *Store) isActive(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[id] > 0
}

package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Limits bound the store (ohemlab serve --keep-runs, --max-store-mb). Zero
// means no limit. Beyond them the oldest runs are deleted, never the live
// one (being recorded) and never a pinned one.
type Limits struct {
	// KeepRuns is the most runs kept.
	KeepRuns int
	// MaxBytes is the most database bytes (pages in use) kept.
	MaxBytes int64
}

// Default limits of ohemlab serve.
const (
	DefaultKeepRuns   = 200
	DefaultMaxStoreMB = 1024
)

// PruneReport says what Prune deleted, for the page.
type PruneReport struct {
	// Deleted counts the runs deleted to stay within the limits since the
	// store was opened; Last is when the latest was deleted.
	Deleted int       `json:"deleted"`
	Last    time.Time `json:"last"`
	// Why names the limit, e.g. "--keep-runs 200".
	Why string `json:"why"`
	// Over is true when the store is still over its limits with only live
	// and pinned runs left.
	Over bool `json:"over"`
}

// Pin sets whether run id is pinned: a pinned run is never deleted to keep
// the store within its limits (Delete still deletes it).
func (s *Store) Pin(id int64, pinned bool) error {
	res, err := s.db.Exec(`UPDATE runs SET pinned = ? WHERE id = ?`, pinned, id)
	if err != nil {
		return fmt.Errorf("store: pin run %d: %w", id, err)
	}
	return affected(res, id)
}

// SizeBytes returns the bytes of the database's pages in use.
func (s *Store) SizeBytes() (int64, error) {
	var pages, free, size int64
	if err := s.db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, fmt.Errorf("store: size: %w", err)
	}
	if err := s.db.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil {
		return 0, fmt.Errorf("store: size: %w", err)
	}
	if err := s.db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		return 0, fmt.Errorf("store: size: %w", err)
	}
	return (pages - free) * size, nil
}

// Prune deletes the oldest runs, never a live (being recorded) or pinned
// one, until the store is within lim. It returns the ids deleted, and
// records them in the PruneReport.
func (s *Store) Prune(lim Limits) ([]int64, error) {
	if lim.KeepRuns <= 0 && lim.MaxBytes <= 0 {
		return nil, nil
	}
	var deleted []int64
	var why string
	over := false
	for {
		var n int
		if err := s.db.QueryRow(`SELECT count(*) FROM runs`).Scan(&n); err != nil {
			return deleted, fmt.Errorf("store: prune: %w", err)
		}
		size, err := s.SizeBytes()
		if err != nil {
			return deleted, err
		}
		tooMany := lim.KeepRuns > 0 && n > lim.KeepRuns
		tooBig := lim.MaxBytes > 0 && size > lim.MaxBytes
		if !tooMany && !tooBig {
			break
		}
		id, err := s.oldestDeletable()
		if err != nil {
			return deleted, err
		}
		if id == 0 {
			over = true
			break
		}
		if err := s.Delete(id); err != nil {
			return deleted, err
		}
		deleted = append(deleted, id)
		if tooMany {
			why = fmt.Sprintf("--keep-runs %d", lim.KeepRuns)
		} else {
			why = fmt.Sprintf("--max-store-mb %d", lim.MaxBytes>>20)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruned.Over = over
	if len(deleted) > 0 {
		s.pruned.Deleted += len(deleted)
		s.pruned.Last = s.now().UTC()
		s.pruned.Why = why
	}
	return deleted, nil
}

// Pruned reports what Prune has deleted since the store was opened.
func (s *Store) Pruned() PruneReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pruned
}

// oldestDeletable returns the oldest run that is neither pinned nor being
// recorded by this process, or 0.
func (s *Store) oldestDeletable() (int64, error) {
	rows, err := s.db.Query(`SELECT id FROM runs WHERE pinned = 0 ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, fmt.Errorf("store: prune: %w", err)
		}
		if !s.isActive(id) {
			return id, nil
		}
	}
	return 0, rows.Err()
}

// DataNames returns the dataset names (data.name of the config) the kept
// runs were trained on, without duplicates.
func (s *Store) DataNames() ([]string, error) {
	rows, err := s.db.Query(`SELECT DISTINCT json_extract(config, '$.data.name') FROM runs`)
	if err != nil {
		return nil, fmt.Errorf("store: data names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n sql.NullString
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: data names: %w", err)
		}
		if n.Valid && strings.TrimSpace(n.String) != "" {
			out = append(out, n.String)
		}
	}
	return out, rows.Err()
}

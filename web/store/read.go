package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

const runColumns = `id, name, created, updated, finished, status, config, summary, pinned`

// scanRun reads one runs row into a Run (without series).
func (s *Store) scanRun(sc rowScanner) (*Run, error) {
	var (
		r                Run
		created, updated int64
		finished         sql.NullInt64
		cfgJSON, sumJSON string
	)
	if err := sc.Scan(&r.ID, &r.Name, &created, &updated, &finished, &r.Status, &cfgJSON, &sumJSON, &r.Pinned); err != nil {
		return nil, err
	}
	r.Created = time.UnixMilli(created).UTC()
	r.Updated = time.UnixMilli(updated).UTC()
	if finished.Valid {
		t := time.UnixMilli(finished.Int64).UTC()
		r.Finished = &t
	}
	if err := json.Unmarshal([]byte(cfgJSON), &r.Config); err != nil {
		return nil, fmt.Errorf("store: run %d: bad config: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(sumJSON), &r.Summary); err != nil {
		return nil, fmt.Errorf("store: run %d: bad summary: %w", r.ID, err)
	}
	if r.Summary.Arms == nil {
		r.Summary.Arms = []ArmSummary{}
	}
	r.Dataset = datasetLabel(r.Config.Data)
	r.Arms = make([]string, len(r.Config.Arms))
	for i, a := range r.Config.Arms {
		r.Arms[i] = armName(a)
	}
	if (r.Status == StatusRunning || r.Status == StatusPaused) && !s.isActive(r.ID) &&
		s.now().Sub(r.Updated) > StaleAfter {
		r.Status = StatusInterrupted
	}
	return &r, nil
}

// List returns every run, newest first, without series.
func (s *Store) List() ([]RunInfo, error) {
	rows, err := s.db.Query(`SELECT ` + runColumns + ` FROM runs ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	defer rows.Close()
	out := []RunInfo{}
	for rows.Next() {
		r, err := s.scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.RunInfo)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list runs: %w", err)
	}
	return out, nil
}

// Info returns run id without its series.
func (s *Store) Info(id int64) (*RunInfo, error) {
	r, err := s.scanRun(s.db.QueryRow(`SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return &r.RunInfo, nil
}

// Get returns run id with all its series, read in one snapshot (a
// concurrent Recorder's later writes are not half seen).
func (s *Store) Get(id int64) (*Run, error) { return s.get(id, 0) }

// GetSampled is Get with the metric series thinned for charts of long runs:
// when the run has more than maxSteps steps, only every Stride-th step
// (and the last) is returned, so that each arm has at most about maxSteps
// rows. Changes and evaluations are complete. maxSteps <= 0 means all.
func (s *Store) GetSampled(id int64, maxSteps int) (*Run, error) { return s.get(id, maxSteps) }

func (s *Store) get(id int64, maxSteps int) (*Run, error) {
	tx, err := s.db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: get run %d: %w", id, err)
	}
	defer tx.Rollback()
	r, err := s.scanRun(tx.QueryRow(`SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	if r.Changes, err = readChanges(tx, id); err != nil {
		return nil, err
	}
	var last int64
	if err := tx.QueryRow(`SELECT coalesce(max(step), 0) FROM metrics WHERE run = ?`, id).Scan(&last); err != nil {
		return nil, fmt.Errorf("store: run %d metrics: %w", id, err)
	}
	r.Stride = 1
	if maxSteps > 0 && last > int64(maxSteps) {
		r.Stride = (last + int64(maxSteps) - 1) / int64(maxSteps)
	}
	if r.Metrics, err = readMetrics(tx, id, r.Stride, last); err != nil {
		return nil, err
	}
	if r.Evals, err = readEvals(tx, id); err != nil {
		return nil, err
	}
	return r, nil
}

func readChanges(tx *sql.Tx, id int64) ([]Change, error) {
	rows, err := tx.Query(`SELECT step, version, changed, config FROM changes WHERE run = ? ORDER BY version, rowid`, id)
	if err != nil {
		return nil, fmt.Errorf("store: run %d changes: %w", id, err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var changed, cfg string
		if err := rows.Scan(&c.Step, &c.Version, &changed, &cfg); err != nil {
			return nil, fmt.Errorf("store: run %d changes: %w", id, err)
		}
		if err := json.Unmarshal([]byte(changed), &c.Changed); err != nil {
			return nil, fmt.Errorf("store: run %d change %d: %w", id, c.Version, err)
		}
		if err := json.Unmarshal([]byte(cfg), &c.Config); err != nil {
			return nil, fmt.Errorf("store: run %d change %d: %w", id, c.Version, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// readMetrics reads every stride-th step of run id, and the last.
func readMetrics(tx *sql.Tx, id, stride, last int64) ([]Metric, error) {
	out := []Metric{}
	err := scanMetrics(tx, id, stride, last, func(m *Metric) error {
		out = append(out, *m)
		return nil
	})
	return out, err
}

// scanMetrics calls fn with every stride-th step of run id (and the last)
// in step order; fn must not keep m.
func scanMetrics(tx *sql.Tx, id, stride, last int64, fn func(m *Metric) error) error {
	rows, err := tx.Query(`SELECT arm, step, version, batch_loss, sel_loss, q_min, q10, q50, q90, q_max,
		kept_share, sel_flipped_share, examples_seen, examples_backprop, wall, examples_forwarded, compute_flops, scanned
		FROM metrics WHERE run = ? AND (step % ? = 0 OR step = ?) ORDER BY step, arm`, id, stride, last)
	if err != nil {
		return fmt.Errorf("store: run %d metrics: %w", id, err)
	}
	defer rows.Close()
	var f [10]sql.NullFloat64
	var m Metric
	for rows.Next() {
		if err := rows.Scan(&m.Arm, &m.Step, &m.Version, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
			&f[7], &f[8], &m.ExamplesSeen, &m.ExamplesBackprop, &f[9], &m.ExamplesForward, &m.ComputeFLOPs, &m.Scanned); err != nil {
			return fmt.Errorf("store: run %d metrics: %w", id, err)
		}
		m.BatchLoss, m.SelLoss = nan(f[0]), nan(f[1])
		for i := range m.Q {
			m.Q[i] = nan(f[2+i])
		}
		m.KeptShare, m.SelFlippedShare, m.Wall = nan(f[7]), nan(f[8]), nan(f[9])
		if err := fn(&m); err != nil {
			return err
		}
	}
	return rows.Err()
}

func readEvals(tx *sql.Tx, id int64) ([]Eval, error) {
	rows, err := tx.Query(`SELECT arm, step, version, examples_backprop, wall, test_loss, test_acc, train_loss,
		per_class, confusion, examples_forwarded, compute_flops FROM evals WHERE run = ? ORDER BY step, arm`, id)
	if err != nil {
		return nil, fmt.Errorf("store: run %d evals: %w", id, err)
	}
	defer rows.Close()
	out := []Eval{}
	var f [4]sql.NullFloat64
	for rows.Next() {
		var e Eval
		var pc, conf string
		if err := rows.Scan(&e.Arm, &e.Step, &e.Version, &e.ExamplesBackprop, &f[0], &f[1], &f[2], &f[3], &pc, &conf, &e.ExamplesForward, &e.ComputeFLOPs); err != nil {
			return nil, fmt.Errorf("store: run %d evals: %w", id, err)
		}
		e.Wall, e.TestLoss, e.TestAccuracy, e.TrainLoss = nan(f[0]), nan(f[1]), nan(f[2]), nan(f[3])
		var pcs []*float64
		if err := json.Unmarshal([]byte(pc), &pcs); err != nil {
			return nil, fmt.Errorf("store: run %d eval at step %d: %w", id, e.Step, err)
		}
		e.PerClass = make([]float64, len(pcs))
		for i, p := range pcs {
			e.PerClass[i] = math.NaN()
			if p != nil {
				e.PerClass[i] = *p
			}
		}
		if err := json.Unmarshal([]byte(conf), &e.Confusion); err != nil {
			return nil, fmt.Errorf("store: run %d eval at step %d: %w", id, e.Step, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// nan reads a NULL (a non-finite value when written) as NaN.
func nan(f sql.NullFloat64) float64 {
	if !f.Valid {
		return math.NaN()
	}
	return f.Float64
}

// datasetLabel names a dataset for the run list; CSV files show only their
// base name.
func datasetLabel(d data.Config) string {
	if p, ok := d.CSVPath(); ok {
		return data.CSVPrefix + filepath.Base(p)
	}
	return d.Name
}

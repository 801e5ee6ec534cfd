package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// CSVHeader is the header row of ExportCSV.
var CSVHeader = []string{"arm", "step", "version", "batch_loss", "sel_loss", "q_min", "q10", "q50", "q90", "q_max",
	"kept_share", "sel_flipped_share", "examples_seen", "examples_backprop", "wall_seconds",
	"examples_forwarded", "compute_flops", "scanned"}

// ExportCSV writes run id's metric series as CSV: CSVHeader, then one row
// per arm and step in step order. Non-finite values are written as NaN.
// Rows are streamed from one database snapshot, so long runs need little
// memory.
func (s *Store) ExportCSV(w io.Writer, id int64) error {
	tx, err := s.db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: export run %d as CSV: %w", id, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM runs WHERE id = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("store: export run %d as CSV: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	rec := make([]string, 0, len(CSVHeader))
	err = scanMetrics(tx, id, 1, 0, func(m *Metric) error {
		rec = rec[:0]
		rec = append(rec, strconv.Itoa(m.Arm), strconv.FormatInt(m.Step, 10), strconv.FormatInt(m.Version, 10),
			ftoa(m.BatchLoss), ftoa(m.SelLoss))
		for _, q := range m.Q {
			rec = append(rec, ftoa(q))
		}
		rec = append(rec, ftoa(m.KeptShare), ftoa(m.SelFlippedShare),
			strconv.FormatInt(m.ExamplesSeen, 10), strconv.FormatInt(m.ExamplesBackprop, 10), ftoa(m.Wall),
			strconv.FormatInt(m.ExamplesForward, 10), strconv.FormatInt(m.ComputeFLOPs, 10), strconv.Itoa(m.Scanned))
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("store: export run %d as CSV: %w", id, err)
	}
	return nil
}

// ftoa formats x in the shortest form that reads back exactly.
func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// ExportJSON writes run id with everything (config, changes, summary,
// metrics, evaluations) as one indented JSON object; non-finite numbers
// are null.
func (s *Store) ExportJSON(w io.Writer, id int64) error {
	r, err := s.Get(id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("store: export run %d as JSON: %w", id, err)
	}
	return nil
}

// ExportName is a safe download file name for run id, e.g.
// "ohemlab-run-12.csv" for ext "csv".
func ExportName(id int64, ext string) string {
	return "ohemlab-run-" + strconv.FormatInt(id, 10) + "." + ext
}

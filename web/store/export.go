package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/ohemlab/ohemlab/internal/finitejson"
)

// CSVHeader is the header row of ExportCSV.
var CSVHeader = []string{"arm", "step", "version", "batch_loss", "sel_loss", "q_min", "q10", "q50", "q90", "q_max",
	"kept_share", "sel_flipped_share", "examples_seen", "examples_backpropagated", "wall_seconds",
	"examples_forwarded", "compute_flops", "scanned", "kind", "test_loss", "test_accuracy", "eval_train_loss", "changed"}

// ExportCSV writes run id's series as CSV: CSVHeader, then in step order
// one row per arm and step (kind "step"), the evaluations (kind "eval": the
// test loss and accuracy and the training loss since the previous one) and
// the config changes (kind "change", arm empty, the changed fields in
// "changed", space separated; the whole configs are in the JSON export).
// Non-finite values are written as NaN.
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
	evals, err := readEvals(tx, id)
	if err != nil {
		return err
	}
	changes, err := readChanges(tx, id)
	if err != nil {
		return err
	}
	blank := func(rec []string, n int) []string {
		for i := 0; i < n; i++ {
			rec = append(rec, "")
		}
		return rec
	}
	// flush writes the changes that took effect at or before step and the
	// evaluations made before it.
	flush := func(step int64) error {
		for len(changes) > 0 && changes[0].Step <= step {
			c := changes[0]
			changes = changes[1:]
			rec := []string{"", strconv.FormatInt(c.Step, 10), strconv.FormatInt(c.Version, 10)}
			rec = blank(rec, 15)
			rec = append(rec, "change", "", "", "", strings.Join(c.Changed, " "))
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		for len(evals) > 0 && evals[0].Step < step {
			e := evals[0]
			evals = evals[1:]
			rec := []string{strconv.Itoa(e.Arm), strconv.FormatInt(e.Step, 10), strconv.FormatInt(e.Version, 10)}
			rec = blank(rec, 10)
			rec = append(rec, strconv.FormatInt(e.ExamplesBackprop, 10), ftoa(e.Wall),
				strconv.FormatInt(e.ExamplesForward, 10), strconv.FormatInt(e.ComputeFLOPs, 10), "",
				"eval", ftoa(e.TestLoss), ftoa(e.TestAccuracy), ftoa(e.TrainLoss), "")
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		return nil
	}
	rec := make([]string, 0, len(CSVHeader))
	err = scanMetrics(tx, id, 1, 0, func(m *Metric) error {
		if err := flush(m.Step); err != nil {
			return err
		}
		rec = rec[:0]
		rec = append(rec, strconv.Itoa(m.Arm), strconv.FormatInt(m.Step, 10), strconv.FormatInt(m.Version, 10),
			ftoa(m.BatchLoss), ftoa(m.SelLoss))
		for _, q := range m.Q {
			rec = append(rec, ftoa(q))
		}
		rec = append(rec, ftoa(m.KeptShare), ftoa(m.SelFlippedShare),
			strconv.FormatInt(m.ExamplesSeen, 10), strconv.FormatInt(m.ExamplesBackprop, 10), ftoa(m.Wall),
			strconv.FormatInt(m.ExamplesForward, 10), strconv.FormatInt(m.ComputeFLOPs, 10), strconv.Itoa(m.Scanned),
			"step", "", "", "", "")
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	if err := flush(math.MaxInt64); err != nil {
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
	b, err := finitejson.MarshalIndent(r, "", " ")
	if err != nil {
		return fmt.Errorf("store: export run %d as JSON: %w", id, err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ExportName is a safe download file name for run id, e.g.
// "ohemlab-run-12.csv" for ext "csv".
func ExportName(id int64, ext string) string {
	return "ohemlab-run-" + strconv.FormatInt(id, 10) + "." + ext
}

package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ohemlab/ohemlab/trainer"

	"github.com/ohemlab/ohemlab/internal/finitejson"
)

// runState is the writer's view of the run being recorded.
type runState struct {
	id           int64
	cfg          trainer.Config
	rows         int64 // metric and eval rows written
	changes      int
	status       string
	sum          Summary
	droppedStart int64
}

// activeMark is a change of Store.active to apply once a write commits.
type activeMark struct {
	id int64
	d  int
}

// clone copies s deeply enough to restore it after a failed write.
func (s *runState) clone() *runState {
	if s == nil {
		return nil
	}
	c := *s
	c.sum.Arms = append([]ArmSummary(nil), s.sum.Arms...)
	return &c
}

// write commits the queued events in one transaction. With nothing queued
// it only refreshes a live run's heartbeat when due (or when force is set).
func (r *Recorder) write(force bool) error {
	q := r.take()
	defer r.giveBack(q)
	now := r.opt.Now()
	if len(q) == 0 && (r.cur == nil || (!force && now.Sub(r.lastBeat) < heartbeatEvery)) {
		return nil
	}
	before := r.cur.clone()
	var marks []activeMark
	rows, err := r.writeTx(q, now, &marks)
	if err != nil {
		r.failed.Add(int64(len(q)))
		err = fmt.Errorf("store: write %d events: %w", len(q), err)
		r.lastErr.Store(&err)
		if r.opt.OnError != nil {
			r.opt.OnError(err)
		}
		// The transaction rolled back: forget a run it created.
		if before != nil && r.cur != nil && r.cur.id == before.id {
			r.cur = before
		} else {
			if before != nil {
				r.s.markActive(before.id, -1)
			}
			r.cur = nil
		}
		r.runID.Store(r.curID())
		return err
	}
	for _, m := range marks {
		r.s.markActive(m.id, m.d)
	}
	r.written.Add(rows)
	r.lastBeat = now
	r.runID.Store(r.curID())
	r.prune()
	return nil
}

// prune keeps the store within RecorderOptions.Limits.
func (r *Recorder) prune() {
	lim := r.opt.Limits
	if lim.KeepRuns <= 0 && lim.MaxBytes <= 0 {
		return
	}
	deleted, err := r.s.Prune(lim)
	if err != nil && r.opt.OnError != nil {
		r.opt.OnError(err)
	}
	if len(deleted) > 0 && r.opt.OnPrune != nil {
		r.opt.OnPrune(deleted)
	}
}

func (r *Recorder) curID() int64 {
	if r.cur == nil {
		return 0
	}
	return r.cur.id
}

// writeTx runs one write transaction and returns the rows it inserted.
func (r *Recorder) writeTx(q []item, now time.Time, marks *[]activeMark) (int64, error) {
	tx, err := r.s.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	w := txWriter{tx: tx}
	defer w.close()
	var rows int64
	for _, it := range q {
		switch {
		case it.config != nil:
			if err := r.onConfig(&w, it, now, marks); err != nil {
				return 0, err
			}
		case it.batch != nil:
			if r.cur == nil {
				r.unattached.Add(1)
				continue
			}
			if err := w.metric(r.cur.id, it.batch); err != nil {
				return 0, err
			}
			r.cur.rows++
			rows++
			r.cur.onMetric(it.batch)
		case it.eval != nil:
			if r.cur == nil {
				r.unattached.Add(1)
				continue
			}
			if err := w.eval(r.cur.id, it.eval); err != nil {
				return 0, err
			}
			r.cur.rows++
			rows++
			r.cur.onEval(it.eval)
		case it.status != nil:
			if r.cur == nil {
				r.unattached.Add(1)
				continue
			}
			r.cur.onStatus(it.status)
		}
	}
	if r.cur != nil {
		if err := r.saveRun(tx, now, false); err != nil {
			return 0, err
		}
	}
	return rows, tx.Commit()
}

// onConfig starts a run on a reset and records a live change otherwise.
func (r *Recorder) onConfig(w *txWriter, it item, now time.Time, marks *[]activeMark) error {
	e := it.config
	cfgJSON, err := json.Marshal(e.Config)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if !e.Reset {
		if r.cur == nil {
			r.unattached.Add(1)
			return nil
		}
		changed, err := json.Marshal(nonNil(e.Changed))
		if err != nil {
			return err
		}
		if _, err := w.tx.Exec(`INSERT INTO changes(run, step, version, changed, config) VALUES (?, ?, ?, ?, ?)`,
			r.cur.id, e.Step, e.Version, string(changed), string(cfgJSON)); err != nil {
			return err
		}
		// A name the user did not choose follows the config (a strategy
		// switched live renames "topk" to "threshold").
		if _, err := w.tx.Exec(`UPDATE runs SET name = ? WHERE id = ? AND name = ?`,
			DefaultName(e.Config), r.cur.id, DefaultName(r.cur.cfg)); err != nil {
			return err
		}
		r.cur.cfg = e.Config
		r.cur.changes++
		r.cur.nameArms()
		return nil
	}
	if r.cur != nil && r.cur.rows == 0 && r.cur.changes == 0 {
		// Nothing recorded yet: the new config replaces the empty run's.
		if _, err := w.tx.Exec(`UPDATE runs SET config = ?, name = ? WHERE id = ?`,
			string(cfgJSON), DefaultName(e.Config), r.cur.id); err != nil {
			return err
		}
		r.cur.cfg = e.Config
		r.cur.sum = Summary{}
		r.cur.droppedStart = it.droppedBefore
		r.cur.nameArms()
		return nil
	}
	if r.cur != nil {
		if err := r.saveRun(w.tx, now, true); err != nil {
			return err
		}
		*marks = append(*marks, activeMark{r.cur.id, -1})
	}
	ms := now.UnixMilli()
	res, err := w.tx.Exec(`INSERT INTO runs(name, created, updated, status, config, summary) VALUES (?, ?, ?, ?, ?, '{}')`,
		DefaultName(e.Config), ms, ms, StatusRunning, string(cfgJSON))
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	r.cur = &runState{id: id, cfg: e.Config, status: StatusRunning, droppedStart: it.droppedBefore}
	r.cur.nameArms()
	*marks = append(*marks, activeMark{id, 1})
	return nil
}

// saveRun writes the current run's summary, status and heartbeat; with
// final it also marks the run finished.
func (r *Recorder) saveRun(tx *sql.Tx, now time.Time, final bool) error {
	c := r.cur
	c.sum.Dropped = r.dropped.Load() - c.droppedStart
	sum, err := json.Marshal(c.sum)
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	ms := now.UnixMilli()
	if !final {
		_, err = tx.Exec(`UPDATE runs SET summary = ?, status = ?, updated = ? WHERE id = ?`, string(sum), c.status, ms, c.id)
		return err
	}
	status := StatusFinished
	if c.status == StatusDiverged {
		status = StatusDiverged
	}
	_, err = tx.Exec(`UPDATE runs SET summary = ?, status = ?, updated = ?, finished = ? WHERE id = ?`, string(sum), status, ms, ms, c.id)
	return err
}

// finish marks the current run finished at Close.
func (r *Recorder) finish() error {
	if r.cur == nil {
		return nil
	}
	id := r.cur.id
	tx, err := r.s.db.Begin()
	if err == nil {
		defer tx.Rollback()
		if err = r.saveRun(tx, r.opt.Now(), true); err == nil {
			err = tx.Commit()
		}
	}
	r.s.markActive(id, -1)
	r.cur = nil
	r.runID.Store(0)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", id, err)
	}
	return nil
}

// arm returns the summary of arm a, growing the list as needed.
func (s *runState) arm(a int) *ArmSummary {
	if a < 0 {
		a = 0
	}
	for len(s.sum.Arms) <= a {
		s.sum.Arms = append(s.sum.Arms, ArmSummary{Arm: len(s.sum.Arms)})
	}
	return &s.sum.Arms[a]
}

// nameArms names the summary's arms from the config.
func (s *runState) nameArms() {
	for i, a := range s.cfg.Arms {
		s.arm(i).Name = armName(a)
	}
}

func (s *runState) onMetric(m *Metric) {
	a := s.arm(m.Arm)
	a.Steps = m.Step
	a.ExamplesSeen = m.ExamplesSeen
	a.ExamplesBackprop = m.ExamplesBackprop
	a.WallSeconds = m.Wall
	a.BatchLoss = fin(m.BatchLoss)
}

func (s *runState) onEval(e *Eval) {
	a := s.arm(e.Arm)
	a.Evals++
	a.TestLoss = fin(e.TestLoss)
	a.TestAccuracy = fin(e.TestAccuracy)
	if acc := fin(e.TestAccuracy); acc != nil && (a.BestTestAccuracy == nil || *acc > *a.BestTestAccuracy) {
		a.BestTestAccuracy = acc
		a.BestStep = e.Step
	}
}

func (s *runState) onStatus(e *trainer.StatusEvent) {
	s.sum.State, s.sum.Reason = e.State, e.Reason
	switch e.State {
	case trainer.StatePaused:
		s.status = StatusPaused
	case trainer.StateDiverged:
		s.status = StatusDiverged
	case trainer.StateRunning, trainer.StateLoading:
		s.status = StatusRunning
	case trainer.StateStopped:
		// Stopped is final only when the recorder closes or a reset comes.
	}
}

// armName is an arm's display name: its Name or its strategy.
func armName(a trainer.ArmConfig) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Select.Strategy
}

// DefaultName is the name a new run gets from its config: the dataset, the
// arms, and what differs from the dataset's preset, so that runs in a list
// tell themselves apart, such as "mnist · topk M=32 vs random · noise 0.1 ·
// seed 1" (an arm's M is named when it differs from the first arm's; K,
// the first arm's learning rate when they differ from the preset, another
// arm's when it differs from the first's;
// the seed always). CSV datasets show only the file's base name.
func DefaultName(c trainer.Config) string {
	def := trainer.DefaultConfig(c.Data.Name)
	parts := []string{datasetLabel(c.Data)}
	arms := make([]string, len(c.Arms))
	for i, a := range c.Arms {
		arms[i] = armName(a)
		if a.Select.M > 0 && a.Select.Strategy != "all" && (i == 0 || a.Select.M != c.Arms[0].Select.M) {
			arms[i] += fmt.Sprintf(" M=%d", a.Select.M)
		}
		lrNamed := i == 0 && len(def.Arms) > 0 && a.LR != def.Arms[0].LR || i > 0 && a.LR != c.Arms[0].LR
		if lrNamed && a.LR > 0 {
			arms[i] += " lr=" + strconv.FormatFloat(a.LR, 'g', 3, 64)
		}
	}
	parts = append(parts, strings.Join(arms, " vs "))
	if c.K > 0 && c.K != def.K {
		parts = append(parts, fmt.Sprintf("K=%d", c.K))
	}
	if c.Data.LabelNoise > 0 {
		parts = append(parts, "noise "+strconv.FormatFloat(c.Data.LabelNoise, 'g', 3, 64))
	}
	parts = append(parts, fmt.Sprintf("seed %d", c.Seed))
	return truncName(sanitizeName(strings.Join(parts, " · ")))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// txWriter holds a transaction's prepared inserts.
type txWriter struct {
	tx                 *sql.Tx
	insMetric, insEval *sql.Stmt
}

func (w *txWriter) close() {
	if w.insMetric != nil {
		w.insMetric.Close()
	}
	if w.insEval != nil {
		w.insEval.Close()
	}
}

func (w *txWriter) metric(run int64, m *Metric) error {
	if w.insMetric == nil {
		st, err := w.tx.Prepare(`INSERT OR REPLACE INTO metrics(run, arm, step, version, batch_loss, sel_loss,
			q_min, q10, q50, q90, q_max, kept_share, sel_flipped_share, examples_seen, examples_backprop, wall,
			examples_forwarded, compute_flops, scanned)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		w.insMetric = st
	}
	_, err := w.insMetric.Exec(run, m.Arm, m.Step, m.Version, num(m.BatchLoss), num(m.SelLoss),
		num(m.Q[0]), num(m.Q[1]), num(m.Q[2]), num(m.Q[3]), num(m.Q[4]),
		num(m.KeptShare), num(m.SelFlippedShare), m.ExamplesSeen, m.ExamplesBackprop, num(m.Wall),
		m.ExamplesForward, m.ComputeFLOPs, m.Scanned)
	return err
}

func (w *txWriter) eval(run int64, e *Eval) error {
	if w.insEval == nil {
		st, err := w.tx.Prepare(`INSERT OR REPLACE INTO evals(run, arm, step, version, examples_backprop, wall,
			test_loss, test_acc, train_loss, per_class, confusion, examples_forwarded, compute_flops)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		w.insEval = st
	}
	pc := e.PerClass
	if pc == nil {
		pc = []float64{}
	}
	pcJSON, err := finitejson.Marshal(pc)
	if err != nil {
		return err
	}
	conf := e.Confusion
	if conf == nil {
		conf = [][]int{}
	}
	confJSON, err := json.Marshal(conf)
	if err != nil {
		return err
	}
	_, err = w.insEval.Exec(run, e.Arm, e.Step, e.Version, e.ExamplesBackprop, num(e.Wall),
		num(e.TestLoss), num(e.TestAccuracy), num(e.TrainLoss), string(pcJSON), string(confJSON),
		e.ExamplesForward, e.ComputeFLOPs)
	return err
}

// num stores non-finite values as NULL (SQLite has no NaN).
func num(x float64) any {
	if p := fin(x); p != nil {
		return *p
	}
	return nil
}

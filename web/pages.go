package web

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/ohemlab/ohemlab/internal/finitejson"
	"github.com/ohemlab/ohemlab/templates"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
	"github.com/ohemlab/ohemlab/web/store"
)

// Page and fragment limits.
const (
	// hardestRows is the number of examples the hardest-so-far table shows.
	hardestRows = 24
	// hardestTTL is how long one arm's hardest-so-far table is reused, so
	// that a class of viewers polling it costs one data map per period.
	hardestTTL = 2 * time.Second
)

// mountPages mounts the dashboard page and the htmx fragment routes, each
// of which renders the same templ component as the page's first render.
func mountPages(r chi.Router, s *Server) {
	p := &pages{s: s}
	r.Get("/", p.page)
	r.Get("/api/share", s.serveShare)
	r.Get("/api/schema", s.serveSchema)
	r.Route("/fragments", func(r chi.Router) {
		r.Get("/status", p.status)
		r.Get("/controls", p.controls)
		r.Get("/hardest", p.hardest)
		r.Get("/runs", p.runs)
	})
}

// pages renders the dashboard from the server's state.
type pages struct {
	s *Server

	mu      sync.Mutex
	hardMem map[int]hardEntry // per arm
}

// hardEntry is a cached hardest-so-far table.
type hardEntry struct {
	at   time.Time
	gen  int64
	view templates.HardestView
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := c.Render(r.Context(), w); err != nil {
		p.s.log.Error("render page", "path", r.URL.Path, "err", err)
	}
}

func (p *pages) page(w http.ResponseWriter, r *http.Request) {
	st := p.s.State()
	stateJSON, err := finitejson.Marshal(st)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode the state: "+err.Error())
		return
	}
	role := p.s.Role(r)
	if role == RoleControl {
		p.s.setTokenCookie(w, r)
	}
	v := templates.PageView{
		Title:     "OHEM Lab · " + datasetLabel(st.Dataset.Name),
		StateJSON: string(stateJSON),
		Role:      role,
		Status:    statusView(st),
		Controls:  controlsView(st, role != RoleControl, p.s.opts.Ingest != nil),
		Hardest:   p.hardestView(0),
		Runs:      p.runsView(),
		Modules:   moduleURLs,
	}
	if cfg, ok, err := sharedConfig(r.URL.Query()); ok {
		if err != nil {
			v.ShareError = "this link's experiment is not valid: " + err.Error()
		} else {
			v.SharedConfigJSON = cfg
		}
	}
	p.render(w, r, templates.Page(v))
}

func (p *pages) status(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, templates.StatusBanner(statusView(p.s.State())))
}

func (p *pages) controls(w http.ResponseWriter, r *http.Request) {
	st := p.s.State()
	p.render(w, r, templates.Controls(controlsView(st, p.s.Role(r) != RoleControl, p.s.opts.Ingest != nil)))
}

func (p *pages) hardest(w http.ResponseWriter, r *http.Request) {
	arm := 0
	if a := r.URL.Query().Get("arm"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 || n > 1 {
			writeError(w, http.StatusBadRequest, "arm must be 0 or 1, not "+strconv.Quote(a))
			return
		}
		arm = n
	}
	p.render(w, r, templates.Hardest(p.hardestView(arm)))
}

func (p *pages) runs(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, templates.RunsList(p.runsView()))
}

// datasetLabel is how the page names a dataset: an uploaded or local CSV
// file by its base name (uploads are named by their hash: shortened), so
// that no server path reaches the page's text.
func datasetLabel(name string) string {
	rest, ok := strings.CutPrefix(name, data.CSVPrefix)
	if !ok {
		return name
	}
	base := filepath.Base(rest)
	if uploadName.MatchString(base) {
		base = uploadLabel(base)
	}
	return data.CSVPrefix + " " + base
}

// statusView is the banner of a state.
func statusView(st trainer.State) templates.StatusView {
	return templates.StatusView{
		State:   st.Status,
		Reason:  st.Reason,
		Step:    st.Step,
		Dataset: datasetLabel(st.Dataset.Name),
		Version: st.Version,
		Arms:    len(st.Config.Arms),
	}
}

// controlsView fills the controls from the config in force; external: the
// run is trained outside (no Data controls).
func controlsView(st trainer.State, disabled, external bool) templates.ControlsView {
	cfg := st.Config
	v := templates.ControlsView{
		Disabled:   disabled,
		External:   external,
		Dataset:    cfg.Data.Name,
		Strategies: experiment.Lookup("strategy").Choices,
		Execs:      experiment.Lookup("exec").Choices,
		Inputs:     controlInputs(cfg, st.Dataset.NumTrain),
		K:          cfg.K,
		LabelNoise: cfg.Data.LabelNoise,
		Seed:       cfg.Seed,
		SpeedCap:   cfg.SpeedCap,
	}
	known := false
	for _, d := range experiment.Lookup("dataset").Choices {
		known = known || d == cfg.Data.Name
		v.Datasets = append(v.Datasets, templates.Option{Value: d, Label: d})
	}
	if !known && cfg.Data.Name != "" {
		v.Datasets = append(v.Datasets, templates.Option{Value: cfg.Data.Name, Label: datasetLabel(cfg.Data.Name)})
	}
	for _, a := range cfg.Arms {
		sp := a.Select.WithDefaults() // the values in effect
		ac := templates.ArmControls{
			Name:       a.Name,
			Strategy:   sp.Strategy,
			M:          sp.M,
			LR:         a.LR,
			Exec:       a.Exec,
			FocalGamma: a.FocalGamma,
			Thresh:     sp.Thresh,
			MinKept:    sp.MinKept,
			NegPos:     sp.NegPos,
			MinNeg:     sp.MinNeg,
			Beta:       sp.Beta,
		}
		d := sp.WithDefaults()
		ac.Refresh, ac.Pool, ac.Hard = d.Refresh, d.Pool, d.Hard
		if ac.Name == "" {
			ac.Name = sp.Strategy
		}
		v.Arms = append(v.Arms, ac)
	}
	return v
}

// hardestView is the most-selected examples of one arm, cached for
// hardestTTL per arm and dataset generation.
func (p *pages) hardestView(arm int) templates.HardestView {
	st := p.s.State()
	gen := st.Dataset.Generation
	p.mu.Lock()
	if e, ok := p.hardMem[arm]; ok && e.gen == gen && time.Since(e.at) < hardestTTL {
		p.mu.Unlock()
		return e.view
	}
	p.mu.Unlock()

	v := templates.HardestView{Arm: arm, Image: st.Dataset.ImageW > 0, Generation: gen}
	if arm >= len(st.Config.Arms) && len(st.Config.Arms) > 0 {
		v.Err = "there is no arm " + strconv.Itoa(arm) + " in this run"
		return v
	}
	dm, err := p.s.Trainer().DataMap(arm, 0)
	if err != nil {
		v.Err = "statistics unavailable: " + err.Error()
		return v
	}
	v.Total = dm.Total
	v.Rows = hardestRowsOf(dm.Points, st.Dataset.ClassNames, hardestRows)
	// An outside trainer sends some examples' images only: no thumbnail
	// (and no 404) for the others.
	has, partial := p.s.Trainer().(interface{ HasExampleImage(id int) bool })
	for i := range v.Rows {
		v.Rows[i].Thumb = !partial || has.HasExampleImage(v.Rows[i].ID)
	}

	p.mu.Lock()
	if p.hardMem == nil {
		p.hardMem = map[int]hardEntry{}
	}
	p.hardMem[arm] = hardEntry{at: time.Now(), gen: gen, view: v}
	p.mu.Unlock()
	return v
}

// hardestRowsOf returns the n examples selected most often (ties: higher
// mean loss, then lower id), skipping those never selected.
func hardestRowsOf(pts []trainer.ExampleStats, names []string, n int) []templates.HardestRow {
	idx := make([]int, 0, len(pts))
	for i, e := range pts {
		if e.Selected > 0 {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool {
		x, y := pts[idx[a]], pts[idx[b]]
		if x.Selected != y.Selected {
			return x.Selected > y.Selected
		}
		if x.MeanLoss != y.MeanLoss {
			return x.MeanLoss > y.MeanLoss
		}
		return x.ID < y.ID
	})
	if len(idx) > n {
		idx = idx[:n]
	}
	rows := make([]templates.HardestRow, 0, len(idx))
	for _, i := range idx {
		e := pts[i]
		rows = append(rows, templates.HardestRow{
			ID:       int(e.ID),
			Label:    className(names, e.Label),
			Clean:    className(names, e.CleanLabel),
			Pred:     className(names, e.LastPred),
			Flipped:  e.Flipped,
			Seen:     int(e.Seen),
			Selected: int(e.Selected),
			MeanLoss: float64(e.MeanLoss),
			Forgets:  int(e.Forgets),
		})
	}
	return rows
}

// className names class c, or gives its number when unnamed.
func className(names []string, c int32) string {
	if c >= 0 && int(c) < len(names) && names[c] != "" {
		return names[c]
	}
	return strconv.Itoa(int(c))
}

// runsView lists the saved runs, newest first.
func (p *pages) runsView() templates.RunsView {
	rs := p.s.Runs()
	if rs == nil {
		return templates.RunsView{}
	}
	v := templates.RunsView{Available: true}
	list, err := rs.List()
	if err != nil {
		v.Err = "cannot list the saved runs: " + err.Error()
		return v
	}
	for _, in := range list {
		row := runRow(in)
		if !row.Live && !row.Pinned && row.Steps < templates.ShortRunSteps && row.Accuracy < 0 {
			v.Short++
			continue
		}
		v.Runs = append(v.Runs, row)
	}
	v.Pruned = prunedNote(rs)
	return v
}

// prunedNote says which runs the store deleted to stay within its limits.
func prunedNote(rs RunStore) string {
	pr, ok := rs.(RunPruneReporter)
	if !ok {
		return ""
	}
	rep := pr.Pruned()
	var b strings.Builder
	if rep.Deleted > 0 {
		fmt.Fprintf(&b, "%d older run", rep.Deleted)
		if rep.Deleted > 1 {
			b.WriteString("s")
		}
		fmt.Fprintf(&b, " deleted since the server started to stay within %s (last at %s). Pin a run to keep it.",
			rep.Why, rep.Last.Format("15:04 UTC"))
	}
	if rep.Over {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("The store is over its limit with only the live and pinned runs left: unpin or delete runs.")
	}
	return b.String()
}

// runRow is one line of the runs list.
func runRow(in store.RunInfo) templates.RunRow {
	row := templates.RunRow{
		ID:       strconv.FormatInt(in.ID, 10),
		Name:     in.Name,
		Dataset:  in.Dataset,
		Strategy: strings.Join(in.Arms, " vs "),
		Started:  in.Created.UTC().Format("2006-01-02 15:04 UTC"),
		Accuracy: -1,
		Pinned:   in.Pinned,
		Live:     in.Status == store.StatusRunning || in.Status == store.StatusPaused || in.Status == store.StatusDiverged,
	}
	if row.Name == "" {
		row.Name = "run " + row.ID
	}
	if len(in.Summary.Arms) > 0 {
		a := in.Summary.Arms[0]
		row.Steps = a.Steps
		if a.TestAccuracy != nil {
			row.Accuracy = *a.TestAccuracy
		}
	}
	return row
}

package web

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/web/store"
)

// TestPageRoutes renders the page and every fragment route through the
// router and checks status, region ids and role handling.
func TestPageRoutes(t *testing.T) {
	const token = "0123456789abcdef0123"
	env := newEnv(t, nil)
	tokEnv := newEnv(t, func(o *Options) { o.ControlToken = token })
	tests := []struct {
		name   string
		env    *testEnv
		path   string
		status int
		want   []string
		reject []string
	}{
		{"page", env, "/", 200, []string{`id="controls"`, `id="status"`, `id="hardest"`, `id="runs"`, `data-role="control"`, `id="boot"`, `/static/app.js`, `/static/vendor/uPlot.iife.min.js`}, []string{`disabled`}},
		{"page as viewer", tokEnv, "/", 200, []string{`data-role="viewer"`, `disabled`}, []string{token}},
		{"page as presenter", tokEnv, "/?token=" + token, 200, []string{`data-role="control"`}, []string{token}},
		{"status", env, "/fragments/status", 200, []string{`id="status"`, `data-state="running"`, "tiny"}, []string{"<html"}},
		{"controls", env, "/fragments/controls", 200, []string{`id="controls"`, `value="topk" selected`, `value="8"`, `value="32"`}, []string{"<html"}},
		{"controls as viewer", tokEnv, "/fragments/controls", 200, []string{`id="controls"`, `disabled`}, nil},
		{"hardest", env, "/fragments/hardest?arm=0", 200, []string{`id="hardest"`, `data-rows="0"`, "No example has been selected yet"}, nil},
		{"hardest bad arm", env, "/fragments/hardest?arm=x", 400, []string{`arm must be 0 or 1`}, nil},
		{"hardest arm out of range", env, "/fragments/hardest?arm=7", 400, []string{`arm must be 0 or 1`}, nil},
		{"hardest missing arm", env, "/fragments/hardest?arm=1", 200, []string{"there is no arm 1"}, nil},
		{"runs without store", env, "/fragments/runs", 200, []string{`id="runs"`, "keeps no run store"}, nil},
		{"unknown fragment", env, "/fragments/nope", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := tt.env.get(t, tt.path)
			if code != tt.status {
				t.Fatalf("GET %s: status %d, want %d: %s", tt.path, code, tt.status, body)
			}
			if code == 200 {
				if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type %q", ct)
				}
				if cc := hdr.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", cc)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("GET %s lacks %q:\n%s", tt.path, w, body)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(string(body), r) {
					t.Errorf("GET %s contains %q", tt.path, r)
				}
			}
		})
	}
}

// TestPageEscapesNames checks that a hostile dataset name is escaped in the
// page, the embedded state and the status fragment.
func TestPageEscapesNames(t *testing.T) {
	env := newEnv(t, nil)
	env.fake.mu.Lock()
	env.fake.st.Dataset.Name = `<script>alert(1)</script>`
	env.fake.mu.Unlock()
	for _, path := range []string{"/", "/fragments/status"} {
		code, _, body := env.get(t, path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		if strings.Contains(string(body), "<script>alert") {
			t.Errorf("GET %s renders the name unescaped", path)
		}
	}
}

// TestHardestRowsOf checks the order (most selected, then mean loss, then
// id), the cap, skipping never-selected examples and class names.
func TestHardestRowsOf(t *testing.T) {
	pts := []trainer.ExampleStats{
		{ID: 5, Selected: 2, MeanLoss: 1, Label: 1, CleanLabel: 0, Flipped: true, LastPred: 0},
		{ID: 3, Selected: 0, MeanLoss: 9},
		{ID: 9, Selected: 7, MeanLoss: 0.5, Label: 0},
		{ID: 1, Selected: 2, MeanLoss: 1, Label: 1},
		{ID: 2, Selected: 2, MeanLoss: 3, Label: 7},
	}
	names := []string{"zero", "one"}
	tests := []struct {
		n    int
		want []int
	}{
		{10, []int{9, 2, 1, 5}},
		{2, []int{9, 2}},
		{0, []int{}},
	}
	for _, tt := range tests {
		rows := hardestRowsOf(pts, names, tt.n)
		got := []int{}
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("n=%d: ids %v, want %v", tt.n, got, tt.want)
		}
	}
	rows := hardestRowsOf(pts, names, 10)
	if r := rows[3]; r.Label != "one" || r.Clean != "zero" || r.Pred != "zero" || !r.Flipped {
		t.Errorf("row of example 5 is %+v", r)
	}
	if r := rows[1]; r.Label != "7" {
		t.Errorf("unnamed class shows %q, want its number", r.Label)
	}
}

// pageRuns is a RunStore for the runs-list tests.
type pageRuns struct {
	list []store.RunInfo
	err  error
}

func (p *pageRuns) List() ([]store.RunInfo, error) { return p.list, p.err }
func (p *pageRuns) Get(id int64) (*store.Run, error) {
	return nil, fmt.Errorf("run %d: %w", id, fs.ErrNotExist)
}
func (p *pageRuns) Delete(id int64) error              { return fs.ErrNotExist }
func (p *pageRuns) Rename(id int64, name string) error { return fs.ErrNotExist }

// TestRunsFragment lists saved runs: names escaped, live runs marked and
// not deletable, accuracy shown when known, store errors reported.
func TestRunsFragment(t *testing.T) {
	acc := 0.9412
	created := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	finished := store.RunInfo{ID: 4, Name: "<b>old</b>", Created: created, Status: store.StatusFinished, Dataset: "mnist", Arms: []string{"topk", "random"}}
	finished.Summary.Arms = []store.ArmSummary{{Steps: 469, TestAccuracy: &acc}}
	live := store.RunInfo{ID: 9, Created: created, Status: store.StatusRunning, Dataset: "circle", Arms: []string{"all"}}
	short := store.RunInfo{ID: 5, Created: created, Status: store.StatusFinished, Dataset: "circle", Arms: []string{"topk"}}
	short.Summary.Arms = []store.ArmSummary{{Steps: 14}}
	tests := []struct {
		name   string
		runs   *pageRuns
		want   []string
		reject []string
	}{
		{"two runs", &pageRuns{list: []store.RunInfo{live, finished}},
			[]string{`data-count="2"`, `data-run="9"`, `run 9`, `badge">live`, `&lt;b&gt;old&lt;/b&gt;`, "topk vs random", "94.1%", "469", `/api/runs/4/export.csv`, `data-run-action="delete" data-run="4"`},
			[]string{`<b>old`, `data-run-action="delete" data-run="9"`}},
		{"empty", &pageRuns{}, []string{"No saved runs yet"}, nil},
		{"a short run left out", &pageRuns{list: []store.RunInfo{live, short, finished}},
			[]string{`data-count="2"`, `data-run="9"`, `data-run="4"`, "1 shorter runs (under 20 steps, never evaluated) are not listed"},
			[]string{`data-run="5"`}},
		{"store error", &pageRuns{err: errors.New("database is locked")}, []string{"cannot list the saved runs: database is locked"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(o *Options) { o.Runs = tt.runs })
			code, _, body := env.get(t, "/fragments/runs")
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("lacks %q:\n%s", w, body)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(string(body), r) {
					t.Errorf("contains %q:\n%s", r, body)
				}
			}
		})
	}
}

// TestDatasetLabel checks that CSV paths never reach the page's text.
func TestDatasetLabel(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct{ in, want string }{
		{"mnist", "mnist"},
		{"csv:/srv/data/points.csv", "csv: points.csv"},
		{"csv:/srv/uploads/" + hash + ".csv", "csv: upload abababab"},
		{"csv:rel/dir/x.txt", "csv: x.txt"},
	}
	for _, tt := range tests {
		if got := datasetLabel(tt.in); got != tt.want {
			t.Errorf("datasetLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

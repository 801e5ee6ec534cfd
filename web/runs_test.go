package web

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/web/store"
)

// TestRunRoutes records one run into a real store and exercises the
// /api/runs routes, including bad ids and names.
func TestRunRoutes(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := st.NewRecorder(store.RecorderOptions{FlushEvery: 10 * time.Millisecond})
	cfg := newFakeTrainer().st.Config
	rec.Publish(&trainer.ConfigEvent{Version: 1, Step: 1, Config: cfg, Reset: true})
	for i := int64(1); i <= 3; i++ {
		rec.Publish(batchEvent(0, i))
	}
	rec.Publish(&trainer.ConfigEvent{Version: 2, Step: 4, Config: cfg, Reset: true}) // a second run ends the first
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	const token = "tok-tok-tok"
	e := newEnv(t, func(o *Options) { o.Runs = st; o.ControlToken = token })
	code, _, body := e.get(t, "/api/runs")
	if code != 200 || !strings.HasPrefix(string(body), "[") {
		t.Fatalf("list: %d %s", code, body)
	}
	runs, _ := st.List()
	if len(runs) == 0 {
		t.Fatal("store has no runs")
	}
	id := strconv.FormatInt(runs[len(runs)-1].ID, 10)
	if code, _, body := e.get(t, "/api/runs/"+id); code != 200 || !strings.Contains(string(body), `"metrics"`) {
		t.Errorf("get: %d %s", code, body)
	}
	if code, hdr, body := e.get(t, "/api/runs/"+id+"/export.csv"); code != 200 || hdr.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(hdr.Get("Content-Disposition"), "ohemlab-run-"+id+".csv") || len(body) == 0 {
		t.Errorf("export csv: %d %v", code, hdr)
	}
	if code, hdr, _ := e.get(t, "/api/runs/"+id+"/export.json"); code != 200 || !strings.Contains(hdr.Get("Content-Disposition"), ".json") {
		t.Errorf("export json: %d %v", code, hdr)
	}
	bad := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/api/runs/0", "", 400, "run id"},
		{"GET", "/api/runs/01", "", 400, "leading zeros"},
		{"GET", "/api/runs/-1", "", 400, "run id"},
		{"GET", "/api/runs/..%2f1", "", 400, "run id"},
		{"GET", "/api/runs/99999999999999999999", "", 400, "run id"},
		{"GET", "/api/runs/424242", "", 404, "no such run"},
		{"GET", "/api/runs/424242/export.csv", "", 404, "no such run"},
		{"DELETE", "/api/runs/" + id, "", 403, "read-only"},
		{"POST", "/api/runs/" + id + "/name", `{"name":"x"}`, 403, "read-only"},
	}
	for _, tc := range bad {
		code, _, body := e.do(t, tc.method, tc.path, "application/json", strings.NewReader(tc.body))
		if code != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s %s: %d %s, want %d %q", tc.method, tc.path, code, body, tc.code, tc.want)
		}
	}
	auth := []string{"X-Control-Token", token}
	renames := []struct {
		body string
		code int
		want string
	}{
		{`{"name":"<script>alert(1)</script>"}`, 200, `\u003cscript\u003e`}, // plain text, escaped in JSON and pages
		{`{"name":"a","extra":1}`, 400, "unknown field"},
		{`{"name":5}`, 400, `field \"name\"`},
		{`{"name":"` + strings.Repeat("x", 5000) + `"}`, 413, "too large"},
		{`{"name":"bad\u0000name"}`, 400, ""},
	}
	for _, tc := range renames {
		code, _, body := e.do(t, "POST", "/api/runs/"+id+"/name", "application/json", strings.NewReader(tc.body), auth...)
		if code != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("rename %.40s: %d %s, want %d %q", tc.body, code, body, tc.code, tc.want)
		}
	}
	if code, _, body := e.do(t, "DELETE", "/api/runs/"+id, "", nil, auth...); code != 200 {
		t.Errorf("delete: %d %s", code, body)
	}
	if code, _, _ := e.get(t, "/api/runs/"+id); code != 404 {
		t.Errorf("get after delete: %d", code)
	}
}

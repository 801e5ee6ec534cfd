package web

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/web/store"
)

// TestRunPin pins and unpins a run through POST /api/runs/{id}/pin and
// checks the bad bodies, and that the panel shows the pin and what the
// store deleted to stay within its limits.
func TestRunPin(t *testing.T) {
	st, runID := storeWithRun(t)
	const token = "pin-token-0123456789"
	e := newEnv(t, func(o *Options) { o.Runs = st; o.ControlToken = token })
	id := strconv.FormatInt(runID, 10)
	auth := []string{"X-Control-Token", token}
	post := func(body string, hdr ...string) (int, string) {
		code, _, b := e.do(t, "POST", "/api/runs/"+id+"/pin", "application/json", strings.NewReader(body), hdr...)
		return code, string(b)
	}
	for _, tc := range []struct {
		body string
		hdr  []string
		code int
		want string
	}{
		{`{"pinned":true}`, nil, 403, "read-only"},
		{`{}`, auth, 400, "pinned"},
		{`{"pinned":"yes"}`, auth, 400, "pinned"},
		{`{"pinned":true,"x":1}`, auth, 400, "x"},
		{`{"pinned":null}`, auth, 400, "pinned"},
	} {
		if code, body := post(tc.body, tc.hdr...); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.body, code, body, tc.code, tc.want)
		}
	}
	if code, _, _ := e.do(t, "POST", "/api/runs/999/pin", "application/json", strings.NewReader(`{"pinned":true}`), auth...); code != 404 {
		t.Errorf("pin of an unknown run: %d", code)
	}
	if code, body := post(`{"pinned":true}`, auth...); code != 200 || !strings.Contains(body, `"pinned":true`) {
		t.Fatalf("pin: %d %s", code, body)
	}
	if r, _ := st.Get(runID); !r.Pinned {
		t.Errorf("the run is not pinned")
	}
	// A pinned run is listed even when it is too short to be listed
	// otherwise.
	_, _, page := e.get(t, "/fragments/runs", auth...)
	if !strings.Contains(string(page), "pin-badge") || !strings.Contains(string(page), `data-pinned="true"`) {
		t.Errorf("the panel does not show the pin")
	}
	if code, _ := post(`{"pinned":false}`, auth...); code != 200 {
		t.Fatalf("unpin: %d", code)
	}
	if r, _ := st.Get(runID); r.Pinned {
		t.Errorf("the run is still pinned")
	}
	// The store deletes a run to stay within --keep-runs: the panel says so.
	if _, err := st.Prune(store.Limits{KeepRuns: 0, MaxBytes: 1}); err != nil {
		t.Fatal(err)
	}
	_, _, page = e.get(t, "/fragments/runs")
	if !strings.Contains(string(page), "1 older run deleted") || !strings.Contains(string(page), "--max-store-mb") || !strings.Contains(string(page), "Pin a run to keep it") {
		t.Errorf("the panel does not say that a run was deleted: %s", page)
	}
}

// TestUploadLimitAndCleanup checks that uploads are rate limited per
// address and that an upload no kept run uses is deleted once the live run
// moves on.
func TestUploadLimitAndCleanup(t *testing.T) {
	st, _ := storeWithRun(t)
	dir := t.TempDir()
	e := newEnv(t, func(o *Options) { o.UploadDir = dir; o.Runs = st; o.UploadBurst = 3 })
	csv := func(i int) string { return goodCSV() + strings.Repeat("1,2,0\n", i) }
	for i := 0; i < 3; i++ {
		if code, _, body := e.do(t, "POST", "/api/upload", "text/csv", strings.NewReader(csv(i))); code != 200 {
			t.Fatalf("upload %d: %d %s", i, code, body)
		}
		// Only the live run's upload is kept: the saved run is not on one.
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("after upload %d: %d files in the upload folder, want the live one", i, len(ents))
		}
	}
	code, hdr, body := e.do(t, "POST", "/api/upload", "text/csv", strings.NewReader(csv(9)))
	if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "too many uploads") {
		t.Errorf("fourth upload in a row: %d %s", code, body)
	}
	if n := len(e.fake.resets); n != 3 {
		t.Errorf("%d resets, want 3", n)
	}
	// An upload a kept run uses stays.
	live := e.fake.resets[2].Data.Name
	keep := strings.TrimPrefix(live, "csv:")
	e.s.CleanUploads()
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the live run's upload was deleted: %v", err)
	}
}

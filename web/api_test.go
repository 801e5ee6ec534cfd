package web

import (
	"bytes"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

func TestHealthAndState(t *testing.T) {
	e := newEnv(t, nil)
	code, _, body := e.get(t, "/healthz")
	if code != 200 || jsonBody(t, body)["ok"] != true {
		t.Errorf("healthz: %d %s", code, body)
	}
	code, hdr, body := e.get(t, "/api/state")
	if code != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("state: %d %v", code, hdr)
	}
	if cfg := jsonBody(t, body)["config"].(map[string]any); cfg["k"] != 32.0 {
		t.Errorf("state config = %v", cfg)
	}
}

func TestPanicRecovery(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.panicDM = true
	code, _, body := e.get(t, "/api/datamap")
	if code != http.StatusInternalServerError || !strings.Contains(string(body), "internal error") {
		t.Errorf("panicking handler: %d %s", code, body)
	}
	if !strings.Contains(e.logs.String(), "fake data map exploded") {
		t.Error("panic not logged")
	}
	if code, _, _ := e.get(t, "/api/state"); code != 200 {
		t.Errorf("server down after a panic: %d", code)
	}
}

func TestHistoryEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	for i := int64(1); i <= 4; i++ {
		e.s.Publish(batchEvent(0, i))
	}
	e.waitHistory(t, 4)
	tests := []struct {
		query string
		code  int
		rows  int
		want  string
	}{
		{"", 200, 4, ""},
		{"?since=0", 200, 4, ""},
		{"?since=2", 200, 2, ""},
		{"?since=99", 200, 0, ""},
		{"?since=-1", 400, 0, "out of range"},
		{"?since=abc", 400, 0, "not an integer"},
		{"?since=1&since=2", 400, 0, "given 2 times"},
		{"?since=99999999999999999999", 400, 0, "not an integer"},
	}
	for _, tc := range tests {
		code, _, body := e.get(t, "/api/history"+tc.query)
		if code != tc.code {
			t.Errorf("%s: status %d, want %d: %s", tc.query, code, tc.code, body)
			continue
		}
		m := jsonBody(t, body)
		if tc.code == 200 && len(m["rows"].([]any)) != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.query, len(m["rows"].([]any)), tc.rows)
		}
		if tc.want != "" && !strings.Contains(m["error"].(string), tc.want) {
			t.Errorf("%s: error %q, want %q", tc.query, m["error"], tc.want)
		}
	}
}

func TestThumbnail(t *testing.T) {
	e := newEnv(t, nil)
	code, hdr, body := e.get(t, "/api/examples/1.png?gen=7")
	if code != 200 || hdr.Get("Content-Type") != "image/png" || !strings.Contains(hdr.Get("Cache-Control"), "immutable") {
		t.Fatalf("thumbnail: %d %v %s", code, hdr, body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// Example 1 is four pixels of 0.25.
	if b := img.Bounds(); b.Dx() != 2 || b.Dy() != 2 {
		t.Fatalf("size %v", b)
	}
	if r, _, _, _ := img.At(1, 1).RGBA(); r>>8 != 64 {
		t.Errorf("pixel = %d, want 64", r>>8)
	}
	// Example 0 clamps 2 to white and keeps 0 black.
	_, _, body = e.get(t, "/api/examples/0.png")
	img, _ = png.Decode(bytes.NewReader(body))
	if r, _, _, _ := img.At(1, 1).RGBA(); r>>8 != 255 {
		t.Errorf("clamped pixel = %d, want 255", r>>8)
	}
	bad := []struct {
		path string
		code int
		want string
	}{
		{"/api/examples/3.png?gen=7", 404, "no training example 3"},
		{"/api/examples/-1.png", 400, "bad example id"},
		{"/api/examples/1e3.png", 400, "bad example id"},
		{"/api/examples/..%2f..%2fetc%2fpasswd.png", 400, "bad example id"},
		{"/api/examples/1.jpg", 404, "no such thumbnail"},
		{"/api/examples/1.png?gen=6", 404, "generation 6 is gone"},
		{"/api/examples/1.png?gen=x", 400, "not an integer"},
		{"/api/examples/99999999999.png", 400, "bad example id"},
	}
	for _, tc := range bad {
		code, _, body := e.get(t, tc.path)
		if code != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestExampleAndDataMap(t *testing.T) {
	e := newEnv(t, nil)
	code, _, body := e.get(t, "/api/example/2?arm=0")
	m := jsonBody(t, body)
	if code != 200 || m["id"] != 2.0 || m["thumb"] != "/api/examples/2.png?gen=7" || len(m["x"].([]any)) != 4 {
		t.Errorf("example: %d %s", code, body)
	}
	code, _, body = e.get(t, "/api/datamap?arm=0&max=10")
	if code != 200 || jsonBody(t, body)["total"] != 3.0 {
		t.Errorf("datamap: %d %s", code, body)
	}
	bad := []struct {
		path string
		code int
		want string
	}{
		{"/api/example/3", 404, "no training example 3"},
		{"/api/example/x", 400, "bad example id"},
		{"/api/example/1?arm=1", 400, "= 1 is out of range: want 0 to 0"},
		{"/api/example/1?arm=-1", 400, "out of range"},
		{"/api/datamap?arm=2", 400, "out of range"},
		{"/api/datamap?max=0", 400, "= 0 is out of range: want 1 to"},
		{"/api/datamap?max=1000001", 400, "out of range"},
		{"/api/datamap?max=ten", 400, "not an integer"},
	}
	for _, tc := range bad {
		code, _, body := e.get(t, tc.path)
		if code != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestStaticAndNotFound(t *testing.T) {
	e := newEnv(t, nil)
	code, hdr, _ := e.get(t, "/static/app.css")
	if code != 200 || !strings.Contains(hdr.Get("Cache-Control"), "max-age") {
		t.Errorf("static: %d %v", code, hdr)
	}
	for _, p := range []string{"/static/nope.js", "/static/", "/static/../go.mod", "/nope"} {
		if code, _, _ := e.get(t, p); code != 404 {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
	if code, _, body := e.do(t, "DELETE", "/api/state", "", nil); code != 405 || !strings.Contains(string(body), "not allowed") {
		t.Errorf("DELETE /api/state: %d %s", code, body)
	}
}

func TestControlHTTPOK(t *testing.T) {
	e := newEnv(t, nil)
	code, _, body := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"set","m":4,"id":"x"}`))
	m := jsonBody(t, body)
	if code != 200 || m["ok"] != true || m["id"] != "x" || m["version"] != 2.0 {
		t.Errorf("control: %d %s", code, body)
	}
	if e.fake.count("Apply") != 1 || *e.fake.changes[0].M != 4 {
		t.Errorf("Apply calls %d", e.fake.count("Apply"))
	}
}

func TestUpload(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(o *Options) { o.UploadDir = dir; o.UploadBurst = 100 })
	good := "x,y,label\n"
	for i := 0; i < 50; i++ {
		good += "1,2,0\n3,4,1\n"
	}
	code, _, body := e.do(t, "POST", "/api/upload", "text/csv", strings.NewReader(good))
	if code != 200 {
		t.Fatalf("good upload: %d %s", code, body)
	}
	if len(e.fake.resets) != 1 || !strings.HasPrefix(e.fake.resets[0].Data.Name, "csv:"+dir) {
		t.Fatalf("reset = %+v", e.fake.resets)
	}
	path := strings.TrimPrefix(e.fake.resets[0].Data.Name, "csv:")
	if b, err := os.ReadFile(path); err != nil || string(b) != good {
		t.Errorf("stored file: %v", err)
	}
	// The uploaded file may be chosen again by a reset; other paths not.
	if _, err := e.s.applyControl(Control{Type: MsgReset, Config: &trainer.Config{K: 8, Data: e.fake.resets[0].Data}}, true, ""); err != nil {
		t.Errorf("reset to the uploaded file: %v", err)
	}
	if _, err := e.s.applyControl(Control{Type: MsgReset, Config: &trainer.Config{K: 8, Data: e.fake.resets[0].Data}}, true, ""); err != nil {
		t.Errorf("reset to the uploaded file: %v", err)
	}
	other := e.fake.resets[0].Data
	other.Name = "csv:" + filepath.Join(dir, "..", filepath.Base(path))
	if _, err := e.s.applyControl(Control{Type: MsgReset, Config: &trainer.Config{K: 8, Data: other}}, true, ""); err == nil {
		t.Error("reset to a CSV outside the upload directory accepted")
	}

	// Multipart works too.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	fw, _ := w.CreateFormFile("file", "points.csv")
	fw.Write([]byte(good))
	w.Close()
	code, _, body = e.do(t, "POST", "/api/upload", w.FormDataContentType(), &mp)
	if code != 200 {
		t.Errorf("multipart upload: %d %s", code, body)
	}

	var nofile bytes.Buffer
	w = multipart.NewWriter(&nofile)
	w.WriteField("other", "x")
	w.Close()
	code, _, body = e.do(t, "POST", "/api/upload", w.FormDataContentType(), &nofile)
	if code != 400 || !strings.Contains(string(body), `no \"file\" field`) {
		t.Errorf("multipart without file: %d %s", code, body)
	}

	resets := len(e.fake.resets)
	bad := []struct {
		name, body string
		code       int
		want       string
	}{
		{"ragged", "x,y,label\n1,2,0\n1,1\n", 400, "line 3"},
		{"non-numeric", "x,y,label\n1,abc,0\n2,3,1\n", 400, "line 2"},
		{"one class", "x,label\n1,0\n2,0\n", 400, "class"},
		{"empty", "", 400, ""},
		{"too large", strings.Repeat("1,2,0\n", (32<<20)/6+10), 413, "upload too large"},
	}
	for _, tc := range bad {
		code, _, body := e.do(t, "POST", "/api/upload", "text/csv", strings.NewReader(tc.body))
		if code != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, code, body, tc.code, tc.want)
		}
	}
	if len(e.fake.resets) != resets {
		t.Errorf("a bad upload reset training")
	}
	e2 := newEnv(t, func(o *Options) { o.ControlToken = "tok"; o.UploadDir = dir })
	if code, _, _ := e2.do(t, "POST", "/api/upload", "text/csv", strings.NewReader(good)); code != 403 {
		t.Errorf("upload without token: %d, want 403", code)
	}
	e3 := newEnv(t, nil)
	if code, _, _ := e3.do(t, "POST", "/api/upload", "text/csv", strings.NewReader(good)); code != 404 {
		t.Errorf("upload disabled: %d, want 404", code)
	}
}

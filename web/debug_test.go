package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:5000", true},
		{"127.8.9.10:1", true},
		{"[::1]:5000", true},
		{"[::ffff:127.0.0.1]:80", true},
		{"::1", true},
		{"192.0.2.7:5000", false},
		{"[2001:db8::1]:443", false},
		{"10.0.0.1:80", false},
		{"0.0.0.0:80", false},
		{"localhost:80", false}, // a name, not an IP: never trusted
		{"", false},
		{"garbage", false},
	}
	for _, tc := range tests {
		if got := isLoopback(tc.addr); got != tc.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

func TestDebugRuntimeLoopbackOnly(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Debug = true })
	c, _ := e.dial(t, "") // one viewer, counted in "viewers"
	defer c.Close()
	waitFor(t, "one viewer", func() bool { return e.s.Viewers() == 1 })
	tests := []struct {
		remote, path string
		status       int
		want         string // substring of the body
	}{
		{"127.0.0.1:40000", "/debug/runtime", http.StatusOK, `"viewers":1`},
		{"[::1]:40000", "/debug/runtime?gc=1", http.StatusOK, `"gc":true`},
		{"127.0.0.1:40000", "/debug/runtime?gc=0", http.StatusOK, `"gc":false`},
		{"127.0.0.1:40000", "/debug/runtime?gc=yes", http.StatusBadRequest, "gc must be given once, as 0 or 1"},
		{"127.0.0.1:40000", "/debug/runtime?gc=1&gc=1", http.StatusBadRequest, "gc must be given once"},
		{"127.0.0.1:40000", "/debug/runtime?x=1", http.StatusBadRequest, "unknown parameter x"},
		{"192.0.2.7:40000", "/debug/runtime", http.StatusForbidden, "only served to loopback clients"},
		{"[2001:db8::1]:40000", "/debug/runtime?gc=1", http.StatusForbidden, "only served to loopback clients"},
		{"192.0.2.7:40000", "/debug/pprof/", http.StatusForbidden, "only served to loopback clients"},
		{"192.0.2.7:40000", "/debug/pprof/goroutine", http.StatusForbidden, "only served to loopback clients"},
		{"127.0.0.1:40000", "/debug/pprof/", http.StatusOK, "goroutine"},
		{"127.0.0.1:40000", "/debug/pprof/goroutine?debug=1", http.StatusOK, "goroutine profile"},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", tc.path, nil)
		req.RemoteAddr = tc.remote
		req.Host = "127.0.0.1"
		rec := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s from %s: %d %q, want %d containing %q", tc.path, tc.remote, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
	}
}

func TestDebugRuntimeFigures(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Debug = true })
	// Over a real loopback connection (httptest listens on 127.0.0.1).
	code, hdr, body := e.get(t, "/debug/runtime?gc=1")
	if code != http.StatusOK {
		t.Fatalf("GET /debug/runtime: %d %s", code, body)
	}
	if cc := hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var st RuntimeStats
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if st.Goroutines < 2 || st.HeapAlloc == 0 || st.HeapInuse < st.HeapAlloc/2 || st.NumGC == 0 || !st.GC || st.Viewers != 0 {
		t.Errorf("implausible figures %+v", st)
	}
	// A POST is not a debug request.
	code, _, _ = e.do(t, "POST", "/debug/runtime", "text/plain", nil)
	if code != http.StatusMethodNotAllowed {
		t.Errorf("POST /debug/runtime: %d, want 405", code)
	}
}

// TestDebugOffByDefault checks that /debug/ exists only with Options.Debug
// (--debug) and that the command line, which may hold the control token,
// is never served.
func TestDebugOffByDefault(t *testing.T) {
	const token = "a-secret-token-123"
	off := newEnv(t, func(o *Options) { o.ControlToken = token })
	for _, p := range []string{"/debug/runtime", "/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine"} {
		if code, _, body := off.get(t, p); code != http.StatusNotFound {
			t.Errorf("without --debug: GET %s: %d %s, want 404", p, code, body)
		}
	}
	on := newEnv(t, func(o *Options) { o.ControlToken = token; o.Debug = true })
	if code, _, _ := on.get(t, "/debug/runtime"); code != http.StatusOK {
		t.Errorf("with --debug: /debug/runtime %d", code)
	}
	for _, p := range []string{"/debug/pprof/cmdline", "/debug/pprof/cmdline?x=1", "/debug/pprof/cmdline/"} {
		code, _, body := on.get(t, p)
		if code == http.StatusOK || strings.Contains(string(body), "ohemlab") || strings.Contains(string(body), ".test") {
			t.Errorf("with --debug: GET %s: %d %s, want refused", p, code, body)
		}
	}
	if _, _, body := on.get(t, "/debug/pprof/"); strings.Contains(string(body), "cmdline") {
		t.Errorf("the pprof index links the command line")
	}
}

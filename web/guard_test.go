package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/external"
	"github.com/ohemlab/ohemlab/web/store"
)

// goodCSV is a small valid upload.
func goodCSV() string {
	s := "x,y,label\n"
	for i := 0; i < 50; i++ {
		s += "1,2,0\n3,4,1\n"
	}
	return s
}

// storeWithRun opens a store in a temporary folder holding one finished
// run and returns it with that run's id.
func storeWithRun(t *testing.T) (*store.Store, int64) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := st.NewRecorder(store.RecorderOptions{FlushEvery: 10 * time.Millisecond})
	cfg := newFakeTrainer().st.Config
	rec.Publish(&trainer.ConfigEvent{Version: 1, Step: 1, Config: cfg, Reset: true})
	rec.Publish(batchEvent(0, 1))
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	runs, err := st.List()
	if err != nil || len(runs) != 1 {
		t.Fatalf("store: %v, %d runs", err, len(runs))
	}
	return st, runs[0].ID
}

// countIngester is an Ingester that counts its calls.
type countIngester struct{ n atomic.Int32 }

func (c *countIngester) Ingest(context.Context, []byte) (*external.Reply, error) {
	c.n.Add(1)
	return &external.Reply{}, nil
}

// stateRoute is a state-changing route and a request that changes state
// when it comes from the page itself.
type stateRoute struct {
	pattern string // as chi knows it, e.g. "POST /api/runs/{id}/name"
	method  string
	path    string
	ctype   string
	body    string
}

// crossSiteCase is one way another web site (or a rebound name) may try to
// reach a route; want is the status it must get.
type crossSiteCase struct {
	name                    string
	host, origin, fetchSite string // "" = none; host "" = the server's own
	ctype                   string // "" = the route's own
	want                    int
}

// crossSiteCases are the cross-site and rebinding requests of the table.
// PORT stands for the server's port, OTHER for another one.
var crossSiteCases = []crossSiteCase{
	{name: "rebound name, no origin", host: "evil.example:PORT", want: http.StatusMisdirectedRequest},
	{name: "rebound page", host: "evil.example:PORT", origin: "http://evil.example:PORT", want: http.StatusMisdirectedRequest},
	{name: "rebound page, same-origin fetch", host: "evil.example:PORT", origin: "http://evil.example:PORT", fetchSite: "same-origin", want: http.StatusMisdirectedRequest},
	{name: "rebound name without port", host: "evil.example", want: http.StatusMisdirectedRequest},
	{name: "loopback name, other port", host: "127.0.0.1:OTHER", want: http.StatusMisdirectedRequest},
	{name: "name that starts like localhost", host: "localhost.evil.example:PORT", want: http.StatusMisdirectedRequest},
	{name: "foreign origin", origin: "https://evil.example", want: http.StatusForbidden},
	{name: "foreign origin, no-cors fetch", origin: "https://evil.example", fetchSite: "cross-site", ctype: "text/plain", want: http.StatusForbidden},
	{name: "foreign origin, form post", origin: "https://evil.example", fetchSite: "cross-site", ctype: "application/x-www-form-urlencoded", want: http.StatusForbidden},
	{name: "another localhost port", origin: "http://localhost:OTHER", fetchSite: "same-site", want: http.StatusForbidden},
	{name: "another loopback port", origin: "http://127.0.0.1:OTHER", fetchSite: "same-site", want: http.StatusForbidden},
	{name: "origin that extends ours", origin: "http://127.0.0.1:PORT.evil.example", want: http.StatusForbidden},
	{name: "opaque origin", origin: "null", want: http.StatusForbidden},
	{name: "cross-site without origin", fetchSite: "cross-site", want: http.StatusForbidden},
	{name: "cross-site with our origin", origin: "http://127.0.0.1:PORT", fetchSite: "cross-site", want: http.StatusForbidden},
	{name: "foreign origin with an allowed one's prefix", origin: "https://proxy.example.evil", want: http.StatusForbidden},
	{name: "text/plain from our origin", origin: "http://127.0.0.1:PORT", ctype: "text/plain", want: http.StatusUnsupportedMediaType},
	{name: "form encoding, no headers", ctype: "application/x-www-form-urlencoded", want: http.StatusUnsupportedMediaType},
}

// TestCrossSiteRefused drives every cross-site and rebinding request of
// crossSiteCases through every state-changing route (found by walking the
// router, so a new route without a row fails) and /ws: each is refused and
// nothing changes. The same requests from the page itself then succeed.
func TestCrossSiteRefused(t *testing.T) {
	st, runID := storeWithRun(t)
	upDir := t.TempDir()
	ing := &countIngester{}
	e := newEnv(t, func(o *Options) {
		o.Ingest = ing
		o.Runs = st
		o.UploadDir = upDir
		o.AllowedOrigins = []string{"https://proxy.example"}
	})
	id := strconv.FormatInt(runID, 10)
	routes := []stateRoute{
		{"POST /api/control", "POST", "/api/control", "application/json", `{"type":"pause"}`},
		{"POST /api/upload", "POST", "/api/upload", "text/csv", goodCSV()},
		{"POST /api/runs/{id}/name", "POST", "/api/runs/" + id + "/name", "application/json", `{"name":"pwned"}`},
		{"DELETE /api/runs/{id}", "DELETE", "/api/runs/" + id, "", ""},
		{"POST /api/ingest", "POST", "/api/ingest", "application/json", `{"session":"s"}`},
		{"POST /api/runs/{id}/pin", "POST", "/api/runs/" + id + "/pin", "application/json", `{"pinned":true}`},
	}
	covered := map[string]bool{}
	for _, rt := range routes {
		covered[rt.pattern] = true
	}
	err := chi.Walk(e.s.handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		switch method {
		case "GET", "HEAD", "OPTIONS":
			return nil
		}
		if !covered[method+" "+route] {
			t.Errorf("state-changing route %s %s has no row in this test", method, route)
		}
		delete(covered, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range covered {
		t.Errorf("row %s names no route of the server", p)
	}

	u, _ := url.Parse(e.ts.URL)
	port := u.Port()
	fill := func(s string) string {
		return strings.NewReplacer("PORT", port, "OTHER", "1").Replace(s)
	}
	before, err := st.Get(runID)
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(when string) {
		t.Helper()
		if n := e.fake.total(); n != 0 {
			t.Fatalf("%s: the engine was called %d times (%v)", when, n, e.fake.calls)
		}
		run, err := st.Get(runID)
		if err != nil || run.Name != before.Name || run.Pinned {
			t.Fatalf("%s: the run changed: %+v %v", when, run, err)
		}
		if ents, _ := os.ReadDir(upDir); len(ents) != 0 {
			t.Fatalf("%s: %d files in the upload folder", when, len(ents))
		}
		if n := ing.n.Load(); n != 0 {
			t.Fatalf("%s: %d ingest calls", when, n)
		}
		if v := e.s.Viewers(); v != 0 {
			t.Fatalf("%s: %d viewers connected", when, v)
		}
	}
	for _, rt := range routes {
		for _, tc := range crossSiteCases {
			ctype := rt.ctype
			if tc.ctype != "" {
				ctype = tc.ctype
			}
			body := rt.body
			if body == "" && tc.ctype != "" {
				body = "x"
			}
			req, err := http.NewRequest(rt.method, e.ts.URL+rt.path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			if tc.host != "" {
				req.Host = fill(tc.host)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", fill(tc.origin))
			}
			if tc.fetchSite != "" {
				req.Header.Set("Sec-Fetch-Site", tc.fetchSite)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s, %s: %d %s, want %d", rt.method, rt.path, tc.name, resp.StatusCode, b, tc.want)
			}
			if msg := jsonBody(t, b)["error"]; msg == nil {
				t.Errorf("%s %s, %s: no JSON error: %s", rt.method, rt.path, tc.name, b)
			}
			unchanged(rt.pattern + ", " + tc.name)
		}
	}
	// The websocket: the same requests cannot open a viewer (whose messages
	// control training).
	for _, tc := range crossSiteCases {
		if tc.ctype != "" {
			continue // a handshake has no body
		}
		hdr := http.Header{}
		if tc.host != "" {
			hdr.Set("Host", fill(tc.host))
		}
		if tc.origin != "" {
			hdr.Set("Origin", fill(tc.origin))
		}
		if tc.fetchSite != "" {
			hdr.Set("Sec-Fetch-Site", tc.fetchSite)
		}
		c, resp, err := websocket.DefaultDialer.Dial(e.wsURL(""), hdr)
		if err == nil {
			c.WriteMessage(websocket.TextMessage, []byte(`{"type":"pause"}`))
			c.Close()
			t.Errorf("/ws, %s: upgraded", tc.name)
			continue
		}
		if resp == nil || resp.StatusCode != tc.want {
			t.Errorf("/ws, %s: %v %v, want %d", tc.name, resp, err, tc.want)
		}
		unchanged("/ws, " + tc.name)
	}

	// The page itself (its own origin, or an allowed one; or a script
	// with neither header) still changes things: the table is not vacuous.
	for i, origin := range []string{e.ts.URL, "https://proxy.example", ""} {
		hdr := []string{}
		if origin != "" {
			hdr = append(hdr, "Origin", origin, "Sec-Fetch-Site", "same-origin")
		}
		code, _, body := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"eval"}`), hdr...)
		if code != http.StatusOK || e.fake.count("RequestEval") != i+1 {
			t.Errorf("control from %q: %d %s", origin, code, body)
		}
		c, resp, err := websocket.DefaultDialer.Dial(e.wsURL(""), http.Header{"Origin": {origin}})
		if err != nil {
			t.Errorf("/ws from %q: %v %v", origin, resp, err)
		} else {
			c.Close()
		}
	}
	if code, _, body := e.do(t, "POST", "/api/runs/"+id+"/name", "application/json; charset=utf-8", strings.NewReader(`{"name":"mine"}`), "Origin", e.ts.URL); code != 200 {
		t.Errorf("rename from the page: %d %s", code, body)
	}
	if code, _, body := e.do(t, "POST", "/api/upload", "text/csv", strings.NewReader(goodCSV()), "Origin", e.ts.URL); code != 200 {
		t.Errorf("upload from the page: %d %s", code, body)
	}
}

// TestHostAllowList checks which Host headers the server answers to.
func TestHostAllowList(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowedHosts = []string{"lab.example.org", "proxy.example:8443"} })
	u, _ := url.Parse(e.ts.URL)
	port := u.Port()
	tests := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:" + port, true},
		{"localhost:" + port, true},
		{"LOCALHOST:" + port, true},
		{"localhost.:" + port, true},
		{"[::1]:" + port, true},
		{"lab.example.org", true},
		{"lab.example.org:443", true},
		{"proxy.example:8443", true},
		{"proxy.example:8080", false},
		{"proxy.example", false},
		{"127.0.0.1:1", false},
		{"127.0.0.1", false}, // port 80, not ours
		{"evil.example:" + port, false},
		{"127.0.0.2:" + port, false},
	}
	if e.s.hostOK("", httptest.NewRequest("GET", "/", nil)) {
		t.Errorf("an empty Host is allowed")
	}
	for _, tc := range tests {
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/state", nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ok := resp.StatusCode == 200; ok != tc.ok {
			t.Errorf("Host %q: %d %s, want allowed=%v", tc.host, resp.StatusCode, b, tc.ok)
		}
		if !tc.ok && !strings.Contains(string(b), "--allow-host") {
			t.Errorf("Host %q: the refusal does not name --allow-host: %s", tc.host, b)
		}
	}
}

// TestSecurityHeaders checks the headers on every kind of response.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	check := func(what string, h http.Header) {
		t.Helper()
		want := map[string]string{
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
		}
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", what, k, h.Get(k), v)
			}
		}
		csp := h.Get("Content-Security-Policy")
		for _, part := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, part) {
				t.Errorf("%s: CSP %q lacks %q", what, csp, part)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline or eval", what, csp)
		}
	}
	for _, p := range []string{"/", "/api/state", "/static/app.js", "/fragments/status", "/no/such", "/healthz"} {
		_, h, _ := e.get(t, p)
		check("GET "+p, h)
	}
	_, h, _ := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"nope"}`))
	check("bad control", h)
	_, h, _ = e.get(t, "/api/state", "Origin", "https://evil.example")
	check("foreign origin", h)
	req, _ := http.NewRequest("GET", e.ts.URL+"/", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	check("rebound host", resp.Header)
}

// TestPageHasNoInlineCode checks that the page and its fragments carry no
// inline script, style or event handler, which the CSP would block.
func TestPageHasNoInlineCode(t *testing.T) {
	st, _ := storeWithRun(t)
	e := newEnv(t, func(o *Options) { o.Runs = st })
	inline := []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]`), // a script with content
		regexp.MustCompile(`(?i)<style[\s>]`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	}
	for _, p := range []string{"/", "/fragments/status", "/fragments/controls", "/fragments/hardest", "/fragments/runs"} {
		code, _, body := e.get(t, p)
		if code != 200 {
			t.Fatalf("GET %s: %d", p, code)
		}
		for _, tag := range regexp.MustCompile(`(?i)<script[^>]*>`).FindAll(body, -1) {
			if !strings.Contains(string(tag), "src=") {
				t.Errorf("GET %s: script without src: %s", p, tag)
			}
		}
		for _, re := range inline {
			if m := re.Find(body); m != nil {
				t.Errorf("GET %s: inline code %q", p, m)
			}
		}
	}
}

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEnv struct {
	s    *Server
	ts   *httptest.Server
	fake *fakeTrainer
	logs *syncBuffer
}

// newEnv starts a server with a fake trainer; mod adjusts the options.
func newEnv(t testing.TB, mod func(*Options)) *testEnv {
	t.Helper()
	fake := newFakeTrainer()
	logs := &syncBuffer{}
	o := Options{Trainer: fake, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if mod != nil {
		mod(&o)
	}
	if o.Trainer != Trainer(fake) {
		fake = nil
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if fake != nil {
		fake.sink = s.Sink()
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return &testEnv{s: s, ts: ts, fake: fake, logs: logs}
}

func (e *testEnv) wsURL(query string) string {
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/ws"
	if query != "" {
		u += "?" + query
	}
	return u
}

// dial connects a viewer and returns it with its hello frame.
func (e *testEnv) dial(t testing.TB, query string) (*websocket.Conn, map[string]any) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(e.wsURL(query), nil)
	if err != nil {
		body := ""
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
		}
		t.Fatalf("dial: %v %s", err, body)
	}
	t.Cleanup(func() { c.Close() })
	hello := readFrame(t, c)
	if hello["type"] != "hello" {
		t.Fatalf("first frame is %v, want hello", hello["type"])
	}
	return c, hello
}

// readFrame reads one JSON frame within 5 s.
func readFrame(t testing.TB, c *websocket.Conn) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	mt, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if mt != websocket.TextMessage {
		t.Fatalf("frame type %d, want text", mt)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("frame is not JSON: %v: %s", err, b)
	}
	return m
}

// readUntil reads frames until one of type typ arrives and returns it.
func readUntil(t testing.TB, c *websocket.Conn, typ string) map[string]any {
	t.Helper()
	for i := 0; i < 10000; i++ {
		if m := readFrame(t, c); m["type"] == typ {
			return m
		}
	}
	t.Fatalf("no %s frame", typ)
	return nil
}

func send(t testing.TB, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// get performs a GET and returns status, headers and body.
func (e *testEnv) get(t testing.TB, path string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	return e.do(t, "GET", path, "", nil, hdr...)
}

func (e *testEnv) do(t testing.TB, method, path, ctype string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func jsonBody(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, b)
	}
	return m
}

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: it returns as soon as cond holds
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitHistory waits until the hub has recorded the event numbered seq in
// its history. hub.seq alone is not enough: the hub hands out a number
// before it records the event.
func (e *testEnv) waitHistory(t testing.TB, seq int64) {
	t.Helper()
	h := e.s.hub.hist
	waitFor(t, fmt.Sprintf("history up to seq %d", seq), func() bool {
		h.mu.RLock()
		defer h.mu.RUnlock()
		return h.last >= seq
	})
}

func deadline() time.Time { return time.Now().Add(30 * time.Second) }

// readAll reads frames until one of each given type has arrived, in any
// order, and returns the first of each.
func readAll(t testing.TB, c *websocket.Conn, types ...string) map[string]map[string]any {
	t.Helper()
	got := map[string]map[string]any{}
	for len(got) < len(types) {
		f := readFrame(t, c)
		typ, _ := f["type"].(string)
		for _, want := range types {
			if typ == want && got[typ] == nil {
				got[typ] = f
			}
		}
	}
	return got
}

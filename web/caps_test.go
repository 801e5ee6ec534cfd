package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestStalledBodyCut sends requests whose body never arrives: each is cut
// off when BodyTimeout passes (answered, connection closed), nothing
// changes, and a websocket viewer connected for longer than that is not
// affected. A body that arrives in time is served.
func TestStalledBodyCut(t *testing.T) {
	const limit = 300 * time.Millisecond
	upDir := t.TempDir()
	e := newEnv(t, func(o *Options) { o.BodyTimeout = limit; o.UploadDir = upDir })
	viewer, _ := e.dial(t, "")
	addr := strings.TrimPrefix(e.ts.URL, "http://")
	for _, tc := range []struct{ path, ctype, part string }{
		{"/api/control", "application/json", `{"type":`},
		{"/api/upload", "text/csv", "x,y,label\n1,2,"},
		{"/api/control", "application/json", ""},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 100\r\n\r\n%s", tc.path, addr, tc.ctype, tc.part)
		// Generous bound: the server must cut it long before a minute.
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer to a stalled body: %v", tc.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		took := time.Since(start)
		if took < limit {
			t.Errorf("%s: answered after %v, before the %v limit", tc.path, took, limit)
		}
		if resp.StatusCode < 400 || !strings.Contains(string(b), "did not arrive within") {
			t.Errorf("%s: %d %s, want an error naming the stall", tc.path, resp.StatusCode, b)
		}
		// The server closes the connection.
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("%s: connection still open after the stall", tc.path)
		}
	}
	if n := e.fake.total(); n != 0 {
		t.Errorf("stalled bodies changed something: %v", e.fake.calls)
	}
	// The viewer has been connected for more than the limit: still served.
	send(t, viewer, `{"type":"eval","id":"after"}`)
	if f := readUntil(t, viewer, "ack"); f["id"] != "after" {
		t.Errorf("viewer after the stalls: %v", f)
	}
	// A slow body that arrives in time, and a long-lived keep-alive
	// connection after it, are fine.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	body := `{"type":"eval"}`
	fmt.Fprintf(conn, "POST /api/control HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:5])
	fmt.Fprint(conn, body[5:])
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("body in time: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
}

// TestViewersPerAddressCap checks the per-address cap: beyond it 503 with a
// message naming the flag; a freed slot can be used again; other viewers
// are not affected.
func TestViewersPerAddressCap(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxViewersPerAddr = 2 })
	a, _ := e.dial(t, "")
	b, _ := e.dial(t, "")
	_, resp, err := websocket.DefaultDialer.Dial(e.wsURL(""), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third viewer from one address: %v %v, want 503", resp, err)
	}
	var body errorBody
	json.NewDecoder(resp.Body).Decode(&body)
	if !strings.Contains(body.Error, "--max-viewers-per-address") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("refusal %q, Retry-After %q", body.Error, resp.Header.Get("Retry-After"))
	}
	e.s.Publish(batchEvent(0, 1))
	if f := readUntil(t, a, "batch"); f["step"] != 1.0 {
		t.Errorf("existing viewer after the refusal: %v", f)
	}
	b.Close()
	waitFor(t, "the slot freed", func() bool { return e.s.Viewers() == 1 })
	c, _ := e.dial(t, "")
	c.Close()
	// The cap is per address.
	s := newAddrSlots(1)
	if !s.acquire("192.0.2.1") || s.acquire("192.0.2.1") || !s.acquire("192.0.2.2") {
		t.Error("addrSlots does not count per address")
	}
	s.release("192.0.2.1")
	if !s.acquire("192.0.2.1") {
		t.Error("a released slot cannot be taken again")
	}
}

// TestPingsCountTowardsBudget floods a viewer with pings: only the budget's
// worth is answered, the flood closes the connection with 1008, and the
// server and other viewers carry on.
func TestPingsCountTowardsBudget(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ControlRate = 0.001; o.ControlBurst = 5 })
	other, _ := e.dial(t, "")
	c, _ := e.dial(t, "")
	var pongs atomic.Int32
	c.SetPongHandler(func(string) error { pongs.Add(1); return nil })
	for i := 0; i < maxRefusedPings+20; i++ {
		if err := c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(5*time.Second)); err != nil {
			break // the server closed it
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var err error
	for err == nil {
		_, _, err = c.ReadMessage()
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "pings") {
		t.Errorf("after a ping flood: %v, want close 1008 about pings", err)
	}
	if n := pongs.Load(); n > 5 {
		t.Errorf("%d pongs, want at most the burst of 5", n)
	}
	// A ping shares the budget with control messages.
	d, _ := e.dial(t, "")
	for i := 0; i < 5; i++ {
		d.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
	}
	send(t, d, `{"type":"eval","id":"x"}`)
	if f := readUntil(t, d, "error"); !strings.Contains(f["error"].(string), "too many") {
		t.Errorf("a message after the budget went on pings: %v", f)
	}
	e.s.Publish(batchEvent(0, 1))
	if f := readUntil(t, other, "batch"); f["step"] != 1.0 {
		t.Errorf("other viewer: %v", f)
	}
}

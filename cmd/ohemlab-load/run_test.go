package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url  string
		want string // error substring; empty = accepted
	}{
		{"http://127.0.0.1:8080", ""},
		{"http://localhost:8080", ""},
		{"http://[::1]:8080", ""},
		{"https://127.0.0.2", ""},
		{"http://10.0.0.5:8080", "not a loopback address"},
		{"http://example.org", "not a loopback address"},
		{"http://0.0.0.0:8080", "not a loopback address"},
		{"ws://127.0.0.1:8080", "want an http"},
		{"http://127.0.0.1:8080/ws", "base URL only"},
		{"http://user@127.0.0.1", "base URL only"},
		{"::", "not a URL"},
	}
	for _, tc := range tests {
		_, err := checkLoopback(tc.url)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.url, err, tc.want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--viewers", "0"}, "--viewers 0 is out of range"},
		{[]string{"--viewers", "5001"}, "--viewers 5001 is out of range"},
		{[]string{"--silent", "1.5"}, "--silent 1.5 is out of range"},
		{[]string{"--silent", "NaN"}, "--silent NaN is out of range"},
		{[]string{"--duration", "11m"}, "--duration 11m0s is out of range"},
		{[]string{"--duration", "0s"}, "--duration 0s is out of range"},
		{[]string{"--baseline", "2m"}, "--baseline 2m0s is out of range"},
		{[]string{"--dial-rate", "0"}, "--dial-rate 0 is out of range"},
		{[]string{"--server-pid", "-1"}, "--server-pid -1 is out of range"},
		{[]string{"--url", "http://192.168.1.1:8080"}, "not a loopback address"},
		{[]string{"--nope"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errb)
		var ue *usageError
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		} else if !errors.As(err, &ue) {
			t.Errorf("%v: %T is not a usage error", tc.args, err)
		}
	}
}

// fakeServer serves /api/state with a step counter advancing 100 per
// second and /ws with a batch frame every 5 ms whose step advances by 2
// (so every other step is "coalesced").
func fakeServer(t *testing.T) *httptest.Server {
	start := time.Now()
	var up websocket.Upgrader
	var conns atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/state", func(w http.ResponseWriter, r *http.Request) {
		step := int64(time.Since(start).Seconds() * 100)
		fmt.Fprintf(w, `{"status":"running","step":%d}`, step)
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		conns.Add(1)
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"type":"hello","seq":0,"t":%.3f}`, float64(time.Now().UnixMicro())/1000))
		for step := int64(1); ; step += 2 {
			f := fmt.Sprintf(`{"t":%.3f,"type":"batch","arm":0,"step":%d}`, float64(time.Now().UnixMicro())/1000, step)
			c.SetWriteDeadline(time.Now().Add(time.Second))
			if err := c.WriteMessage(websocket.TextMessage, []byte(f)); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func TestRunAgainstFakeServer(t *testing.T) {
	ts := fakeServer(t)
	var out, errb bytes.Buffer
	args := []string{"--url", ts.URL, "--viewers", "10", "--silent", "0.2", "--baseline", "200ms", "--duration", "500ms", "--json"}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if r.Connected != 10 || r.Silent != 2 || r.Refused != 0 {
		t.Errorf("connected %d, silent %d, refused %d; want 10, 2, 0", r.Connected, r.Silent, r.Refused)
	}
	if r.BatchFrames < 8 || r.Frames <= r.BatchFrames {
		t.Errorf("frames %d, batch frames %d", r.Frames, r.BatchFrames)
	}
	// Every batch frame after a viewer's first skipped one step.
	if want := r.BatchFrames - 8; r.Coalesced != want {
		t.Errorf("coalesced = %d, want %d (one per batch frame after the first of each of 8 readers)", r.Coalesced, want)
	}
	if r.LatencySamples == 0 || r.LatencyP50 < 0 || r.LatencyP99 < r.LatencyP50 || r.LatencyP99 > 1000 {
		t.Errorf("latency p50 %v p99 %v over %d samples", r.LatencyP50, r.LatencyP99, r.LatencySamples)
	}
	if r.StepsPerSBefore < 50 || r.StepsPerSBefore > 150 || r.StepsPerSDuring < 50 {
		t.Errorf("steps/s before %v during %v, want about 100", r.StepsPerSBefore, r.StepsPerSDuring)
	}
	// The text report names every figure.
	var text bytes.Buffer
	r.write(&text)
	for _, s := range []string{"p50", "p99", "coalesced steps", "steps/s", "10 connected (2 silent)"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, text.String())
		}
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct{ p, want float64 }{{0.5, 5}, {0.99, 10}, {0.1, 1}, {0, 1}, {1, 10}} {
		if got := quantile(x, tc.p); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}

func TestParseHead(t *testing.T) {
	tests := []struct {
		in      string
		want    frameHead
		wantErr bool
	}{
		{`{"t":12.5,"rows":[{"step":1}],"type":"batch","seq":3,"arm":1,"step":7,"losses":[1,2]}`, frameHead{Type: "batch", T: 12.5, Arm: 1, Step: 7}, false},
		{`{"t":1,"type":"status","seq":2,"state":"paused","step":9}`, frameHead{Type: "status", T: 1}, false},
		{`{"type":"hello","seq":0}`, frameHead{Type: "hello"}, false},
		{`[1]`, frameHead{}, true},
		{`{"seq":1}`, frameHead{}, true},
		{`{"t":"x","type":"batch"}`, frameHead{}, true},
		{`{"t":5,"rows":[{"a":"]}\"{"},[[]]],"type":"batch","arm":1,"step":2}`, frameHead{Type: "batch", T: 5, Arm: 1, Step: 2}, false},
		{` {"\u0074ype" : "eval" , "t":3}`, frameHead{Type: "eval", T: 3}, false},
		{`{"rows":[1,2}],"type":"batch"}`, frameHead{}, true},
		{`{"rows":"open`, frameHead{}, true},
		{`{"type":"batch","t":1,"arm":1.5,"step":2}`, frameHead{}, true},
		{`{"type" "x"}`, frameHead{}, true},
		{`{"type":"x" "t":1}`, frameHead{}, true},
		{`{}`, frameHead{}, true},
		{``, frameHead{}, true},
	}
	for _, tc := range tests {
		got, err := parseHead([]byte(tc.in))
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("parseHead(%s) = %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseHead(f *testing.F) {
	f.Add([]byte(`{"t":12.5,"rows":[],"type":"batch","seq":3,"arm":1,"step":7}`))
	f.Add([]byte(`{"type":"hello"}`))
	f.Add([]byte(`{"t":1e999}`))
	f.Add([]byte(`{"t":1795934012906.417,"rows":[{"seq":481,"q":[0.1,"]}",{"a":[]}]}],"type":"batch","seq":482,"arm":0,"step":476,"losses":[1,2]}`))
	f.Add([]byte(`{"t":1,"x":"\"}\\","\u0074ype":"eval"}`))
	f.Add([]byte(` { "type" : "status" , "t" : 2 } `))
	f.Add([]byte(`{"type":"batch","t":3,"arm":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHead(b)
		if err == nil && h.Type == "" {
			t.Fatalf("accepted a frame without type: %q", b)
		}
		if !json.Valid(b) {
			return
		}
		// On valid JSON the fast scanner agrees with a decoder-based one.
		want, werr := parseHeadDecoder(b)
		if (err == nil) != (werr == nil) || (err == nil && h != want) {
			t.Fatalf("parseHead(%q) = %+v, %v; the decoder says %+v, %v", b, h, err, want, werr)
		}
	})
}

// parseHeadDecoder is a slow reference for parseHead built on
// encoding/json's token stream, with the same early stop.
func parseHeadDecoder(b []byte) (frameHead, error) {
	var h frameHead
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return h, errors.New("frame is not a JSON object")
	}
	var haveArm, haveStep bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return h, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return h, err
		}
		switch key {
		case "type":
			err = json.Unmarshal(raw, &h.Type)
		case "t":
			err = json.Unmarshal(raw, &h.T)
		case "arm":
			err, haveArm = json.Unmarshal(raw, &h.Arm), true
		case "step":
			err, haveStep = json.Unmarshal(raw, &h.Step), true
		}
		if err != nil {
			return h, err
		}
		if h.Type != "" && h.T != 0 && (h.Type != "batch" || (haveArm && haveStep)) {
			return h, nil
		}
	}
	if h.Type == "" {
		return h, errors.New("frame has no type")
	}
	return h, nil
}

func TestRowOutput(t *testing.T) {
	var hdr, errb bytes.Buffer
	if err := run(context.Background(), []string{"--row-header"}, &hdr, &errb); err != nil {
		t.Fatal(err)
	}
	ts := fakeServer(t)
	var out bytes.Buffer
	// The fake server runs in this process, so its pid is ours.
	args := []string{"--url", ts.URL, "--viewers", "4", "--silent", "0.25", "--baseline", "100ms", "--duration", "300ms", "--row",
		"--server-pid", strconv.Itoa(os.Getpid())}
	// Serving and reading 4 viewers for 300 ms may take less than the
	// 10 ms tick of /proc's CPU time when the machine is busy: burn CPU
	// in this process meanwhile so that both figures must move.
	var stopBurn atomic.Bool
	burnt := make(chan float64)
	go func() {
		x := 0.0
		for !stopBurn.Load() {
			x += 1e-9
		}
		burnt <- x
	}()
	err := run(context.Background(), args, &out, &errb)
	stopBurn.Store(true)
	<-burnt
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	h, row := strings.Fields(hdr.String()), strings.Fields(out.String())
	if len(h) != 16 || len(row) != len(h) {
		t.Fatalf("header %q and row %q differ in columns", hdr.String(), out.String())
	}
	// viewers, connected, silent, refused, broken
	if got := strings.Join(row[:5], " "); got != "4 4 1 0 0" {
		t.Errorf("row starts %q, want \"4 4 1 0 0\"", got)
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		// This process serves, reads frames and burns CPU: both figures
		// are of this process and above 0.
		if srv, tool := row[14], row[15]; srv == "0.00" || tool == "0.00" {
			t.Errorf("server cores %s, tool cores %s during the load; want both above 0", srv, tool)
		}
	}
	for _, bad := range [][]string{{"--row", "--json"}, {"--row", "--churn"}} {
		err := run(context.Background(), bad, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "--row cannot be combined") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// benchFrame is a batch frame shaped like the server's (rows first).
var benchFrame = func() []byte {
	var b bytes.Buffer
	b.WriteString(`{"t":1795934012906.417,"rows":[`)
	for i := range 10 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"seq":%d,"arm":0,"step":%d,"version":1,"batch_loss":0.19063420704969758,"sel_loss":0.6263171406462789,"q":[0.00028514862,0.0041415985,0.054312192,0.42891374,4.1786695],"kept_share":0.82,"sel_flipped_share":0,"examples_seen":60928,"examples_backpropagated":15232,"wall":3.5}`, 481+i, 476+i)
	}
	b.WriteString(`],"type":"batch","seq":491,"arm":0,"step":486,"losses":[`)
	for i := range 128 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%v", 0.001*float64(i*37%101))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}()

func BenchmarkParseHead(b *testing.B) {
	for _, bc := range []struct {
		name string
		f    func([]byte) (frameHead, error)
	}{{"scanner", parseHead}, {"decoder", parseHeadDecoder}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchFrame)))
			for b.Loop() {
				if h, err := bc.f(benchFrame); err != nil || h.Step != 486 {
					b.Fatal(h, err)
				}
			}
		})
	}
}

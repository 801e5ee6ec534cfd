package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
)

// badControls are control messages every entry point must reject with a
// clear message (want is a substring of it) and no change.
var badControls = []struct {
	name, msg, want string
}{
	{"malformed JSON", `{"type":"set","m":`, "malformed JSON"},
	{"not JSON", `pause`, "malformed JSON"},
	{"empty", ``, "empty message"},
	{"array", `[1,2]`, "must be a JSON object"},
	{"null", `null`, "must be a JSON object"},
	{"two values", `{"type":"pause"}{"type":"resume"}`, "trailing data"},
	{"no type", `{"m":3}`, `no "type"`},
	{"type not string", `{"type":7}`, `"type" must be a string`},
	{"unknown type", `{"type":"explode"}`, `unknown message type "explode"`},
	{"unknown field", `{"type":"set","m":3,"colour":"red"}`, `unknown field "colour"`},
	{"field of another type", `{"type":"pause","m":3}`, `unknown field "m"`},
	{"duplicate-free set", `{"type":"set"}`, "changes nothing"},
	{"wrong type m", `{"type":"set","m":"many"}`, `field "m"`},
	{"fractional k", `{"type":"set","k":3.5}`, "K (batch) must be a whole number"},
	{"huge k", `{"type":"set","k":1e20}`, "K (batch) must be a whole number"},
	{"huge int k", `{"type":"set","k":99999999999}`, "K (batch) must be a whole number between 1 and 65536; got 99999999999"},
	{"zero k", `{"type":"set","k":0}`, "K (batch) must be a whole number between 1 and"},
	{"negative m", `{"type":"set","m":-1}`, "M (kept) must be a whole number between 1 and K"},
	{"k beyond train set", `{"type":"set","k":101}`, "K (batch) must be a whole number between 1 and 100 (the training set size); got 101"},
	{"m above k", `{"type":"set","m":33}`, "M (kept) must be a whole number between 1 and K = 32; got 33"},
	{"m above new k", `{"type":"set","k":2,"m":3}`, "M (kept) must be a whole number between 1 and K = 2; got 3"},
	{"null m", `{"type":"set","m":null}`, "must not be null"},
	{"zero lr", `{"type":"set","lr":0}`, "Learning rate must be greater than 0 and at most 100; got 0"},
	{"negative lr", `{"type":"set","lr":-0.1}`, "Learning rate must be greater than 0 and at most 100; got -0.1"},
	{"absurd lr", `{"type":"set","lr":1e300}`, "Learning rate must be greater than 0 and at most 100; got 1e300"},
	{"infinite lr", `{"type":"set","lr":1e999}`, "Learning rate must be"},
	{"NaN lr", `{"type":"set","lr":NaN}`, "malformed JSON"},
	{"ratio above 1", `{"type":"set","ratio":1.5}`, "Kept share must be greater than 0 and at most 1; got 1.5"},
	{"m and ratio", `{"type":"set","m":2,"ratio":0.5}`, "Kept share must be left out when M (kept) is given"},
	{"unknown strategy", `{"type":"set","strategy":"<b>hardest</b>"}`, "Strategy must be one of all, random, topk, threshold, hardneg, selective, offline; got <b>hardest</b>"},
	{"unknown exec", `{"type":"set","exec":"gpu"}`, "Exec must be one of twopass, mask; got gpu"},
	{"bad arm", `{"type":"set","arm":5,"m":2}`, "Arm must be 0 (this run has one arm); got 5"},
	{"negative arm", `{"type":"set","arm":-1,"m":2}`, "Arm must be 0 (this run has one arm); got -1"},
	{"negative speed", `{"type":"speed","steps_per_s":-1}`, "Speed cap must be between 0 and 10000 steps/s (0 = no cap); got -1"},
	{"speed without value", `{"type":"speed"}`, `needs "steps_per_s"`},
	{"speed wrong type", `{"type":"speed","steps_per_s":"fast"}`, `field "steps_per_s": want a number, got JSON string`},
	{"id not string", `{"type":"pause","id":5}`, `"id" must be a string`},
	{"id too long", `{"type":"pause","id":"` + strings.Repeat("x", 65) + `"}`, `"id" is 65 bytes long`},
	{"reset unknown config field", `{"type":"reset","config":{"k":8,"gpu":true}}`, `config: unknown field "gpu"`},
	{"reset config wrong type", `{"type":"reset","config":{"k":"eight"}}`, "config: K (batch) must be a whole number between 1 and 65536; got a JSON string"},
	{"reset csv path trick", `{"type":"reset","config":{"k":8,"data":{"name":"csv:../../etc/passwd"}}}`, "CSV files can only be used through POST /api/upload"},
	{"reset trainer rejects", `{"type":"reset","config":{"k":0}}`, "reset: k: must be at least 1"},
	{"invalid UTF-8", "{\"type\":\"pause\",\"id\":\"\xff\"}", "not valid UTF-8"},
}

func TestBadControlWebsocket(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ControlRate = 1e6; o.ControlBurst = 1e6 })
	c, _ := e.dial(t, "")
	other, _ := e.dial(t, "")
	before := e.fake.total() - e.fake.count("Reset")
	stateBefore := toJSON(e.fake.State())
	for _, tc := range badControls {
		t.Run(tc.name, func(t *testing.T) {
			resets := e.fake.count("Reset")
			send(t, c, `{"type":"eval","id":"marker"}`) // resynchronise
			readUntil(t, c, "ack")
			send(t, c, tc.msg)
			f := readUntil(t, c, "error")
			if msg, _ := f["error"].(string); !strings.Contains(msg, tc.want) {
				t.Errorf("error = %q, want it to contain %q", msg, tc.want)
			}
			if tc.name != "reset trainer rejects" && e.fake.count("Reset") != resets {
				t.Errorf("Reset called")
			}
		})
	}
	after := e.fake.total() - e.fake.count("Reset") - e.fake.count("RequestEval")
	if after != before {
		t.Errorf("trainer calls changed from %d to %d: %v", before, after, e.fake.calls)
	}
	if got := toJSON(e.fake.State()); got != stateBefore {
		t.Errorf("state changed:\n%s\n%s", stateBefore, got)
	}
	// The other viewer saw none of it: its next frame is this status.
	e.s.Publish(&trainer.StatusEvent{State: trainer.StateRunning, Reason: "marker"})
	for {
		f := readFrame(t, other)
		if f["type"] == "error" || f["type"] == "ack" {
			t.Fatalf("other viewer got %v", f)
		}
		if f["type"] == "status" {
			break
		}
	}
}

func TestBadControlHTTP(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ControlRate = 1e6; o.ControlBurst = 1e6 })
	before := e.fake.total()
	for _, tc := range badControls {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(tc.msg))
			if code != http.StatusBadRequest {
				t.Errorf("status %d, want 400", code)
			}
			if msg, _ := jsonBody(t, body)["error"].(string); !strings.Contains(msg, tc.want) {
				t.Errorf("error = %q, want it to contain %q", msg, tc.want)
			}
		})
	}
	if n := e.fake.total() - e.fake.count("Reset"); n != before {
		t.Errorf("trainer calls changed: %v", e.fake.calls)
	}
}

func TestOversizedMessages(t *testing.T) {
	e := newEnv(t, nil)
	c, _ := e.dial(t, "")
	big := `{"type":"pause","id":"` + strings.Repeat("x", MaxMessageBytes) + `"}`
	send(t, c, big)
	f := readUntil(t, c, "error")
	if !strings.Contains(f["error"].(string), "message too large") {
		t.Errorf("oversized: %v", f)
	}
	// The connection survives and still works.
	send(t, c, `{"type":"pause","id":"after"}`)
	if f := readUntil(t, c, "ack"); f["id"] != "after" {
		t.Errorf("after oversized: %v", f)
	}
	code, _, body := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(big))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "too large") {
		t.Errorf("HTTP oversized: %d %s", code, body)
	}
	// Beyond the hard limit the connection is closed with 1009.
	send(t, c, strings.Repeat(" ", hardReadLimit+1))
	c.SetReadDeadline(deadline())
	var err error
	for err == nil {
		_, _, err = c.ReadMessage()
	}
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("over the hard limit: %v, want close 1009", err)
	}
	if e.fake.count("Pause") != 1 {
		t.Errorf("Pause calls = %d, want 1", e.fake.count("Pause"))
	}
}

func TestBinaryFrameRejected(t *testing.T) {
	e := newEnv(t, nil)
	c, _ := e.dial(t, "")
	if err := c.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"pause"}`)); err != nil {
		t.Fatal(err)
	}
	f := readUntil(t, c, "error")
	if !strings.Contains(f["error"].(string), "binary frames are not accepted") {
		t.Errorf("binary: %v", f)
	}
	if e.fake.count("Pause") != 0 {
		t.Error("binary frame paused training")
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ControlRate = 0.001; o.ControlBurst = 3 })
	c, _ := e.dial(t, "")
	for i := 0; i < 3; i++ {
		send(t, c, `{"type":"eval"}`)
		readUntil(t, c, "ack")
	}
	send(t, c, `{"type":"pause"}`)
	f := readUntil(t, c, "error")
	if !strings.Contains(f["error"].(string), "too many control messages") {
		t.Errorf("rate limited: %v", f)
	}
	if e.fake.count("Pause") != 0 {
		t.Error("rate-limited message applied")
	}
	// Another connection has its own bucket.
	c2, _ := e.dial(t, "")
	send(t, c2, `{"type":"pause"}`)
	readUntil(t, c2, "ack")
	// HTTP: per client address.
	var last int
	for i := 0; i < 4; i++ {
		last, _, _ = e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"eval"}`))
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("4th HTTP control: %d, want 429", last)
	}
}

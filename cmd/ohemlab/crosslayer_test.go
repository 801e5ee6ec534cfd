package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
	"github.com/ohemlab/ohemlab/web"
)

// edge is one value of a field for the cross-layer test, and whether
// every layer must accept it.
type edge struct {
	text string
	ok   bool
}

// crossBase is the experiment the cross-layer test starts from and goes
// back to after every accepted value: the circle set (800 training
// points) with a small K, so that the data-dependent bounds (K at most the
// training set, enough points of each class) do not bite at the edges of
// the other fields' ranges.
func crossBase() trainer.Config {
	c := trainer.DefaultConfig(data.Circle)
	c.K = 8
	c.Arms[0].Select.M = 1
	c.SpeedCap = 20
	return c
}

// insideOverride replaces the generated inside values of the fields whose
// range edges are limited by the data rather than the table: a share of
// positives must leave two points of each class.
var insideOverride = map[string][]string{
	"pos_frac": {"0.002", "0.998"},
	"k":        {"1", "800"}, // at most the training set; the table's own bound is checked outside
}

// edges generates, from the table, the values just inside and just
// outside a field's range, with base's values for bounds by other fields
// (M is at most K).
func edges(f *experiment.Field, base trainer.Config) []edge {
	var out []edge
	switch f.Kind {
	case experiment.KindChoice:
		out = []edge{{f.Choices[0], true}, {f.Choices[len(f.Choices)-1], true}, {"bogus", false}}
	case experiment.KindText:
		out = []edge{{"arm x", true}, {strings.Repeat("x", int(f.Max)), true}, {strings.Repeat("x", int(f.Max)+1), false}, {" padded", false}}
	case experiment.KindWidths:
		out = []edge{{fmtInt(f.Min), true}, {fmtInt(f.Max), true}, {fmtInt(f.Min - 1), false}, {fmtInt(f.Max + 1), false}}
	case experiment.KindInt:
		if f.Min == 0 && f.Max == 0 {
			return []edge{{strconv.FormatInt(math.MinInt64, 10), true}, {strconv.FormatInt(math.MaxInt64, 10), true},
				{"9223372036854775808", false}, {"1.5", false}}
		}
		hi := f.Max
		if f.MaxField != "" {
			v, _ := experiment.Lookup(f.MaxField).Get(&base, 0)
			if b, _ := strconv.ParseFloat(v, 64); b > 0 {
				hi = b // 0: the bound is unset, the field's own applies
			}
		}
		below := f.Min - 1
		if f.ZeroIsDefault && below == 0 {
			out = append(out, edge{"0", true})
			below = -1
		}
		out = append(out, edge{fmtInt(f.Min), true}, edge{fmtInt(hi), true}, edge{fmtInt(below), false}, edge{fmtInt(hi + 1), false}, edge{"2.5", false})
	case experiment.KindNumber:
		lo, hi := f.Min, f.Max
		down, up := math.Inf(-1), math.Inf(1)
		inLo, outLo := lo, math.Nextafter(lo, down)
		if f.MinOpen {
			inLo, outLo = math.Nextafter(lo, up), lo
		}
		inHi, outHi := hi, math.Nextafter(hi, up)
		if f.MaxOpen {
			inHi, outHi = math.Nextafter(hi, down), hi
		}
		if f.ZeroIsDefault && outLo == 0 {
			out = append(out, edge{"0", true})
			outLo = math.Nextafter(0, down)
		}
		out = append(out, edge{fmtNum(inLo), true}, edge{fmtNum(inHi), true}, edge{fmtNum(outLo), false}, edge{fmtNum(outHi), false})
	}
	if o, ok := insideOverride[f.Key]; ok {
		out = slices.DeleteFunc(out, func(e edge) bool { return e.ok })
		for _, v := range o {
			out = append(out, edge{v, true})
		}
	}
	return out
}

func fmtInt(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// verdict is what one layer made of a value.
type verdict struct {
	ok    bool
	named bool   // a refusal names the field the layer's way
	msg   string // the refusal
}

// crossEnv is the real trainer behind the real server.
type crossEnv struct {
	tr   *trainer.Trainer
	ts   *httptest.Server
	ws   *websocket.Conn
	base trainer.Config
	id   int
}

func startCross(t *testing.T, base trainer.Config) *crossEnv {
	t.Helper()
	var (
		mu  sync.Mutex
		srv *web.Server
	)
	sink := trainer.SinkFunc(func(e trainer.Event) {
		mu.Lock()
		s := srv
		mu.Unlock()
		if s != nil {
			s.Publish(e)
		}
	})
	tr, err := trainer.New(base, trainer.Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Options{Trainer: tr, Logger: slog.New(slog.DiscardHandler), ControlRate: 1e6, ControlBurst: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	srv = s
	mu.Unlock()
	ts := httptest.NewServer(s.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ws.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		s.Close()
		ts.Close()
	})
	return &crossEnv{tr: tr, ts: ts, ws: ws, base: base}
}

// message is the control message that gives field f the value text: a set
// message for a live field, else a reset with the base config changed at
// the field's path.
func (e *crossEnv) message(t *testing.T, f *experiment.Field, text string) map[string]any {
	t.Helper()
	raw := jsonValue(f, text)
	if f.Live {
		return map[string]any{"type": "set", f.Key: raw}
	}
	b, err := json.Marshal(e.base)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(f.Path, ".")
	node := cfg
	for i, p := range parts {
		name, arm := strings.CutSuffix(p, "[]")
		if i == len(parts)-1 {
			node[name] = raw
			break
		}
		next, _ := node[name].(map[string]any)
		if arm {
			next = node[name].([]any)[0].(map[string]any)
		}
		if next == nil {
			next = map[string]any{}
			node[name] = next
		}
		node = next
	}
	return map[string]any{"type": "reset", "config": cfg}
}

// jsonValue is text as the JSON value a client sends: a number (kept
// exactly as written) for number kinds, an array of numbers for widths, a
// string otherwise.
func jsonValue(f *experiment.Field, text string) any {
	switch f.Kind {
	case experiment.KindInt, experiment.KindNumber:
		return json.Number(text)
	case experiment.KindWidths:
		var out []json.Number
		for _, p := range strings.Split(text, ",") {
			out = append(out, json.Number(p))
		}
		return out
	}
	return text
}

// named reports whether an error body names field f (and arm 0 for an
// arm field).
func named(body map[string]any, f *experiment.Field) bool {
	if body["field"] != f.Key {
		return false
	}
	if f.Arm {
		return body["arm"] == 0.0
	}
	return body["arm"] == nil
}

// viaHTTP sends msg to POST /api/control.
func (e *crossEnv) viaHTTP(t *testing.T, f *experiment.Field, msg map[string]any) verdict {
	b, _ := json.Marshal(msg)
	resp, err := http.Post(e.ts.URL+"/api/control", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK {
		return verdict{ok: true}
	}
	msgText, _ := body["error"].(string)
	return verdict{named: resp.StatusCode == http.StatusBadRequest && named(body, f), msg: fmt.Sprintf("%d %s", resp.StatusCode, msgText)}
}

// viaWS sends msg on the websocket and waits for its ack or error.
func (e *crossEnv) viaWS(t *testing.T, f *experiment.Field, msg map[string]any) verdict {
	e.id++
	id := fmt.Sprintf("x%d", e.id)
	msg["id"] = id
	defer delete(msg, "id")
	b, _ := json.Marshal(msg)
	if err := e.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		e.ws.SetReadDeadline(deadline)
		_, raw, err := e.ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for the answer to %s: %v", b, err)
		}
		var fr map[string]any
		if json.Unmarshal(raw, &fr) != nil || fr["id"] != id {
			continue
		}
		switch fr["type"] {
		case "ack":
			return verdict{ok: true}
		case "error":
			m, _ := fr["error"].(string)
			return verdict{named: named(fr, f), msg: m}
		}
	}
}

// viaCLI builds the experiment of "ohemlab train" with the field's flag.
func viaCLI(f *experiment.Field, text string) verdict {
	// The base config's flags, then the field's (a flag given twice
	// takes the last value).
	args := []string{"--dataset", data.Circle, "--k", "8"}
	if f.Key != "ratio" {
		args = append(args, "--m", "1")
	}
	args = append(args, "--"+f.Flag, text)
	fs, tf := newTrainFlags()
	err := parseFlags(fs, args, func() {})
	var cfg trainer.Config
	if err == nil {
		cfg, err = tf.exp.config()
	}
	if err == nil {
		err = validateConfig(cfg)
	}
	if err == nil {
		return verdict{ok: true}
	}
	var ue *usageError
	msg := err.Error()
	return verdict{named: errors.As(err, &ue) && strings.HasPrefix(msg, "--"+f.Flag+": ") && strings.Contains(msg, f.Label), msg: msg}
}

// viaURL parses a shareable link with the field's key.
func viaURL(f *experiment.Field, text string) verdict {
	q := url.Values{"ds": {data.Circle}, "k": {"8"}, "m": {"1"}}
	q.Set(f.URL, text)
	_, err := experiment.ParseQuery(q)
	if err == nil {
		return verdict{ok: true}
	}
	var le *experiment.LinkError
	fe := experiment.AsFieldError(err)
	return verdict{named: errors.As(err, &le) && le.Key == f.URL && fe != nil && fe.Field == f.Key, msg: err.Error()}
}

var (
	inputTag  = regexp.MustCompile(`<input [^>]*>`)
	selectTag = regexp.MustCompile(`(?s)<select [^>]*>.*?</select>`)
	attrRE    = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	optionRE  = regexp.MustCompile(`<option value="([^"]*)"`)
)

// pageControl returns the attributes of the page's control of field f
// (arm 0 for an arm field) and, for a select, its options; nil when the
// page has none.
func pageControl(html string, f *experiment.Field) (map[string]string, []string) {
	match := func(tag string) map[string]string {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = m[2]
		}
		if attrs["data-field"] != f.Key {
			return nil
		}
		if arm, ok := attrs["data-arm"]; ok != f.Arm || (ok && arm != "0") {
			return nil
		}
		return attrs
	}
	for _, tag := range inputTag.FindAllString(html, -1) {
		if a := match(tag); a != nil {
			return a, nil
		}
	}
	for _, tag := range selectTag.FindAllString(html, -1) {
		open := tag[:strings.IndexByte(tag, '>')+1]
		if a := match(open); a != nil {
			var opts []string
			for _, m := range optionRE.FindAllStringSubmatch(tag, -1) {
				opts = append(opts, m[1])
			}
			return a, opts
		}
	}
	return nil, nil
}

// viaPage judges text by the page control's attributes: a select's
// options; an input's data-kind, min, max, data-min-open, data-max-open
// and data-zero ("default": 0 is accepted and means the default).
func viaPage(attrs map[string]string, opts []string, text string) verdict {
	if opts != nil {
		return verdict{ok: slices.Contains(opts, text)}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return verdict{}
	}
	if attrs["data-kind"] == "int" && v != math.Trunc(v) {
		return verdict{}
	}
	if v == 0 && attrs["data-zero"] == "default" {
		return verdict{ok: true}
	}
	if m, ok := attrs["min"]; ok {
		lo, _ := strconv.ParseFloat(m, 64)
		if v < lo || (attrs["data-min-open"] == "true" && v == lo) {
			return verdict{}
		}
	}
	if m, ok := attrs["max"]; ok {
		hi, _ := strconv.ParseFloat(m, 64)
		if v > hi || (attrs["data-max-open"] == "true" && v == hi) {
			return verdict{}
		}
	}
	return verdict{ok: true}
}

// TestFieldsAgreeAcrossLayers takes every row of the experiment's field
// table, generates the values just inside and just outside its range, and
// gives each to every layer that has the field: the command-line flag,
// POST /api/control and the websocket (a set message for a live field, a
// reset for the others), the shareable link and the page's input (its
// attributes). All must accept the inside values and refuse the outside
// ones, and every refusal names the field the layer's way: the flag
// (--m: M (kept) ...), the link key (link: key m: ...), the JSON error's
// "field" (m) and "arm".
func TestFieldsAgreeAcrossLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a trainer and a server")
	}
	base := crossBase()
	e := startCross(t, base)
	e.base = e.tr.State().Config
	for _, row := range experiment.Fields() {
		f := &row
		for _, c := range edges(f, base) {
			t.Run(f.Key+"="+c.text, func(t *testing.T) {
				got := map[string]verdict{}
				if f.Flag != "" {
					got["cli --"+f.Flag] = viaCLI(f, c.text)
				}
				if f.URL != "" {
					got["link "+f.URL] = viaURL(f, c.text)
				}
				resp, err := http.Get(e.ts.URL + "/fragments/controls")
				if err != nil {
					t.Fatal(err)
				}
				html, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if attrs, opts := pageControl(string(html), f); attrs != nil {
					got["page input"] = viaPage(attrs, opts, c.text)
				}
				if f.Live || f.Path != "" {
					msg := e.message(t, f, c.text)
					got["POST /api/control"] = e.viaHTTP(t, f, msg)
					got["websocket"] = e.viaWS(t, f, msg)
				}
				if len(got) < 2 {
					t.Fatalf("%s reaches %d layers: the test compares at least two", f.Key, len(got))
				}
				for layer, v := range got {
					switch {
					case v.ok != c.ok:
						t.Errorf("%s: %s = %q: accepted %v, want %v (%s)", layer, f.Key, c.text, v.ok, c.ok, v.msg)
					case !v.ok && !v.named && layer != "page input":
						t.Errorf("%s: %s = %q refused without naming the field: %s", layer, f.Key, c.text, v.msg)
					}
				}
				if c.ok {
					if err := e.tr.Reset(base); err != nil {
						t.Fatalf("back to the base config: %v", err)
					}
				}
			})
		}
	}
}

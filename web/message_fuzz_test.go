package web

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/internal/finitejson"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// FuzzDecodeControl checks that DecodeControl never panics, that every
// accepted message has a known type and only allowed fields, and that
// errors are one-line human messages.
func FuzzDecodeControl(f *testing.F) {
	for _, tc := range badControls {
		f.Add([]byte(tc.msg))
	}
	for _, s := range []string{
		`{"type":"set","k":128,"m":32,"strategy":"topk","lr":0.1,"id":"a"}`,
		`{"type":"set","arm":1,"ratio":0.25,"exec":"mask","focal_gamma":2}`,
		`{"type":"pause"}`, `{"type":"resume","token":"t"}`, `{"type":"step"}`,
		`{"type":"eval"}`, `{"type":"speed","steps_per_s":0}`,
		`{"type":"reset"}`, `{"type":"reset","config":null}`,
		`{"type":"reset","config":{"k":64,"seed":3,"data":{"name":"moons","noise":0.1},"arms":[{"select":{"strategy":"random","m":16},"lr":0.05}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeControl(b)
		if err != nil {
			msg := err.Error()
			if msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("bad error message %q", msg)
			}
			return
		}
		if !slices.Contains(msgTypes, c.Type) {
			t.Fatalf("accepted unknown type %q", c.Type)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatalf("accepted invalid JSON %q: %v", b, err)
		}
		for k := range fields {
			if !slices.Contains(commonKeys, k) && !slices.Contains(msgKeys[c.Type], k) {
				t.Fatalf("accepted field %q on %s", k, c.Type)
			}
		}
		if len(c.ID) > MaxIDBytes {
			t.Fatalf("accepted id of %d bytes", len(c.ID))
		}
		if c.Type == MsgSpeed && (c.StepsPerS < 0 || c.StepsPerS > experiment.MaxSpeedCap) {
			t.Fatalf("accepted speed %g", c.StepsPerS)
		}
	})
}

func TestDecodeControlGood(t *testing.T) {
	c, err := DecodeControl([]byte(`{"type":"set","arm":1,"k":64,"m":16,"lr":0.05,"strategy":"random","id":"q","token":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != MsgSet || c.ID != "q" || c.Token != "t" || c.Change.Arm != 1 || *c.Change.K != 64 ||
		*c.Change.M != 16 || *c.Change.LR != 0.05 || *c.Change.Strategy != "random" {
		t.Errorf("decoded %+v", c)
	}
	c, err = DecodeControl([]byte(`{"type":"reset","config":{"k":64,"seed":3}}`))
	if err != nil || c.Config == nil || c.Config.K != 64 || c.Config.Seed != 3 {
		t.Errorf("reset: %+v %v", c, err)
	}
	c, err = DecodeControl([]byte(`{"type":"speed","steps_per_s":2.5}`))
	if err != nil || c.StepsPerS != 2.5 {
		t.Errorf("speed: %+v %v", c, err)
	}
}

func TestMarshalJSONNonFinite(t *testing.T) {
	nan := float64Nan()
	type inner struct {
		A float32   `json:"a"`
		B []float64 `json:"b,omitempty"`
		C string    `json:"-"`
	}
	v := struct {
		inner
		X float64         `json:"x"`
		P *float64        `json:"p"`
		M map[string]any  `json:"m"`
		E []int           `json:"e,omitempty"`
		R json.RawMessage `json:"r"`
	}{inner: inner{A: float32(nan), B: []float64{1, nan}, C: "hidden"}, X: 2, P: &nan,
		M: map[string]any{"k": nan}, R: json.RawMessage(`{"z":1}`)}
	b, err := finitejson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want := `{"a":null,"b":[1,null],"m":{"k":null},"p":null,"r":{"z":1},"x":2}`
	if got := toJSON(back); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

package finitejson

import (
	"encoding/json"
	"math"
	"testing"
)

type inner struct {
	B float32 `json:"b"`
}

type sample struct {
	Z     float64            `json:"z"`
	A     []float64          `json:"a"`
	Skip  float64            `json:"-"`
	Empty float64            `json:"empty,omitempty"`
	M     map[string]float64 `json:"m"`
	P     *float64           `json:"p"`
	inner
	Raw json.RawMessage `json:"raw"`
}

// TestMarshal checks that non-finite numbers become null anywhere in a
// value, and that everything else (field order, tags, embedded structs,
// Marshalers) comes out as encoding/json writes it.
func TestMarshal(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	one := 1.5
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"finite", sample{Z: 1, A: []float64{2}, M: map[string]float64{"k": 3}, P: &one, inner: inner{B: 0.5}, Raw: json.RawMessage(`[1]`)},
			`{"z":1,"a":[2],"m":{"k":3},"p":1.5,"b":0.5,"raw":[1]}`},
		{"non-finite", sample{Z: nan, A: []float64{inf, 2}, Skip: nan, M: map[string]float64{"k": -inf}, P: &nan, inner: inner{B: float32(inf)}, Raw: json.RawMessage(`{}`)},
			`{"z":null,"a":[null,2],"m":{"k":null},"p":null,"b":null,"raw":{}}`},
		{"bare", nan, `null`},
		{"slice of pointers", []*float64{&one, &nan, nil}, `[1.5,null,null]`},
	} {
		b, err := Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s: Marshal = %s, %v; want %s", tc.name, b, err, tc.want)
		}
	}
	b, err := MarshalIndent(map[string]float64{"a": nan}, "", " ")
	if err != nil || string(b) != "{\n \"a\": null\n}" {
		t.Errorf("MarshalIndent = %q, %v", b, err)
	}
}

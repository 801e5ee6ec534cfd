package external

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// binaryBody frames a JSON part and a data part as a binary request.
func binaryBody(js string, data []byte) []byte {
	b := []byte(BinaryMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(js)))
	b = append(b, js...)
	return append(b, data...)
}

// binaryBatch is batchJSON(step) with its arrays in the data part: the
// record's JSON and the data part.
func binaryBatch(step int) (string, []byte) {
	var data []byte
	f32 := func(v ...float32) []int64 {
		off := len(data)
		for _, x := range v {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
		}
		return []int64{int64(off), int64(len(data) - off)}
	}
	i32 := func(v ...int32) []int64 {
		off := len(data)
		for _, x := range v {
			data = binary.LittleEndian.AppendUint32(data, uint32(x))
		}
		return []int64{int64(off), int64(len(data) - off)}
	}
	raw := func(v ...byte) []int64 {
		off := len(data)
		data = append(data, v...)
		return []int64{int64(off), int64(len(v))}
	}
	s := int32(step)
	refs := BinRefs{
		Losses:   f32(0.1, 2.5, 0.3, 1.5),
		Labels:   i32(1, 2, 3, 4),
		Preds:    i32(1, 0, 3, 2),
		IDs:      i32(4*s%1000, (4*s+1)%1000, (4*s+2)%1000, (4*s+3)%1000),
		TrueProb: f32(0.9, 0.1, 0.8, 0.2),
		Selected: i32(1, 3),
		Weights:  f32(0.5, 0.5),
		Flipped:  raw(0, 1, 0, 0),
		Images:   raw(0, 64, 128, 255, 1, 2, 3, 4),
	}
	refsJSON, err := json.Marshal(refs)
	if err != nil {
		panic(err)
	}
	js := fmt.Sprintf(`{"arm":0,"step":%d,"m":2,"images":{"shape":[2,2]},"bin":%s}`, step, refsJSON)
	return js, data
}

// TestBinaryRequest: a binary request decodes to the same records as its
// JSON form (float32 values compared as float32).
func TestBinaryRequest(t *testing.T) {
	js, data := binaryBatch(3)
	got, err := DecodeRequest(binaryBody(`{"session":"s","batches":[`+js+`]}`, data))
	if err != nil {
		t.Fatal(err)
	}
	want, err := DecodeRequest([]byte(`{"session":"s","batches":[` + strings.Replace(batchJSON(3), `"m":2`, `"m":2,"flipped":[false,true,false,false]`, 1) + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	g, w := got.Batches[0], want.Batches[0]
	for _, f := range []struct {
		name string
		g, w Numbers
	}{{"losses", g.Losses, w.Losses}, {"true_prob", g.TrueProb, w.TrueProb}, {"weights", g.Weights, w.Weights}} {
		if len(f.g) != len(f.w) {
			t.Fatalf("%s: %v, want %v", f.name, f.g, f.w)
		}
		for i := range f.g {
			if float32(f.g[i]) != float32(f.w[i]) {
				t.Errorf("%s: %v, want %v", f.name, f.g, f.w)
			}
		}
	}
	for _, f := range []struct {
		name string
		g, w any
	}{{"labels", g.Labels, w.Labels}, {"preds", g.Preds, w.Preds}, {"ids", g.IDs, w.IDs},
		{"selected", g.Selected, w.Selected}, {"flipped", g.Flipped, w.Flipped}, {"pixels", g.pixels, w.pixels}} {
		if !reflect.DeepEqual(f.g, f.w) {
			t.Errorf("%s: %v, want %v", f.name, f.g, f.w)
		}
	}
	// And the source takes it like the JSON form.
	rec := &recorder{}
	src := New(Options{Sink: rec})
	if _, err := src.Ingest(context.Background(), binaryBody(`{"session":"job","hello":`+helloJSON+`,"batches":[`+js+`]}`, data)); err != nil {
		t.Fatal(err)
	}
	if bs := rec.batches(); len(bs) != 1 || bs[0].K != 4 || len(bs[0].Selected) != 2 || !bs[0].Flipped[1] {
		t.Fatalf("events %+v", bs)
	}
	if _, err := src.ExampleImage(int(3*4 + 1)); err != nil {
		t.Errorf("image of a selected example: %v", err)
	}
}

// TestBadBinaryRecords: bad binary requests get a message naming the
// problem; nothing is applied and the run carries on.
func TestBadBinaryRecords(t *testing.T) {
	js, data := binaryBatch(1)
	body := func(rec string, data []byte) []byte {
		return binaryBody(`{"session":"job","batches":[`+rec+`]}`, data)
	}
	swap := func(old, new string) string {
		if !strings.Contains(js, old) {
			t.Fatalf("test bug: %q not in %s", old, js)
		}
		return strings.Replace(js, old, new, 1)
	}
	nan := append([]byte{}, data...)
	binary.LittleEndian.PutUint32(nan[4:], math.Float32bits(float32(math.NaN())))
	flip := append([]byte{}, data...)
	flip[len(flip)-9] = 7
	long := body(js, data)
	binary.LittleEndian.PutUint32(long[len(BinaryMagic):], 1<<20)
	short := body(js, data)
	binary.LittleEndian.PutUint32(short[len(BinaryMagic):], 10)
	// 300 records naming the same 64 KB of losses: 19.7 MB together.
	shared := make([]string, 300)
	for i := range shared {
		shared[i] = fmt.Sprintf(`{"arm":0,"step":%d,"bin":{"losses":[0,65536]}}`, i+1)
	}
	manyShared := binaryBody(`{"session":"job","batches":[`+strings.Join(shared, ",")+`]}`, make([]byte, 65536))
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"shared ranges beyond the limit", manyShared, "add up to more than 16777216 bytes"},
		{"header cut", []byte(BinaryMagic + "\x01"), "ends early"},
		{"json length beyond body", long, "JSON part is 1048576 bytes"},
		{"json length short", short, "malformed JSON"},
		{"bin in a JSON request", []byte(`{"session":"job","batches":[` + js + `]}`), `plain JSON`},
		{"ref beyond data", body(js, data[:20]), "outside the data part"},
		{"negative offset", body(swap(`"losses":[0,`, `"losses":[-4,`), data), "bin.losses = [-4, 16] is outside"},
		{"ref not a pair", body(swap(`"losses":[0,16]`, `"losses":[0]`), data), "bin.losses has 1 numbers"},
		{"partial float", body(swap(`"losses":[0,16]`, `"losses":[0,15]`), data), "not a whole number of 4-byte values"},
		{"given twice", body(swap(`"m":2`, `"m":2,"losses":[1,2,3,4]`), data), "losses is given both"},
		{"unknown bin field", body(swap(`"bin":{`, `"bin":{"nope":[0,1],`), data), `unknown field "nope"`},
		{"NaN loss", body(js, nan), "losses[1] is NaN"},
		{"K mismatch", body(swap(`"losses":[0,16]`, `"losses":[0,12]`), data), "K mismatch: 3 losses but 4 labels"},
		{"flipped byte", body(js, flip), "bin.flipped: byte 3 is 7"},
		{"images without shape", body(swap(`"images":{"shape":[2,2]},`, ``), data), "bin.images without"},
		{"images wrong size", body(swap(`"shape":[2,2]`, `"shape":[1,2]`), data), "images: 8 bytes for 2 selected images"},
		{"unknown record field", body(swap(`"m":2`, `"m":2,"x":1`), data), `unknown field "x"`},
	}
	src := New(Options{})
	ctx := context.Background()
	js1, d1 := binaryBatch(1)
	if _, err := src.Ingest(ctx, binaryBody(`{"session":"job","hello":`+helloJSON+`,"batches":[`+js1+`]}`, d1)); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkRefused(t, src, c.body, c.want) })
	}
	js2, d2 := binaryBatch(2)
	rep, err := src.Ingest(ctx, body(js2, d2))
	if err != nil || rep.Accepted != 1 {
		t.Fatalf("after the bad requests: %+v, %v", rep, err)
	}
}

// FuzzDecodeBinary: the binary decoder never panics, and whatever it
// accepts the source ingests without panicking.
func FuzzDecodeBinary(f *testing.F) {
	js, data := binaryBatch(1)
	f.Add([]byte(`{"session":"job","hello":`+helloJSON+`,"batches":[`+js+`]}`), data)
	f.Add([]byte(`{"session":"s","batches":[{"arm":0,"step":1,"bin":{"losses":[0,4]}}]}`), []byte{0, 0, 128, 63})
	f.Add([]byte(`{"session":"s"}`), []byte{})
	f.Fuzz(func(t *testing.T, js, data []byte) {
		checkDecoded(t, binaryBody(string(js), data))
	})
}

package external

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// fastSeeds are request JSONs as clients send them (decodeFast takes
// them) and near misses (it leaves them to encoding/json).
var fastSeeds = []struct {
	json string
	fast bool // decodeFast decodes it
}{
	// The Python client's binary request (ohemlab.torch packs records like this).
	{`{"session":"3f2a","rank":0,"world":1,"run":1,"batches":[{"arm":0,"step":7,"version":2,"m":32,"strategy":"topk","step_seconds":0.00231,"bin":{"losses":[0,512],"true_prob":[512,512],"preds":[1024,512],"labels":[1536,512],"ids":[2048,512],"selected":[2560,128]}},{"arm":0,"step":8,"version":2,"m":32,"strategy":"topk","step_seconds":2.5e-05,"bin":{"losses":[2688,512],"true_prob":[3200,512],"preds":[3712,512],"labels":[4224,512],"ids":[4736,512],"selected":[5248,128],"images":[5376,25088]},"images":{"shape":[28,28]}}]}`, true},
	{` { "session" : "s" , "batches" : [ ] , "wait" : 3 } `, true},
	{`{"session":"s","run":-0,"batches":[{"arm":1,"step":1,"images":{"shape":[2,2,3],"data":"AAAA"},"bin":{"flipped":[0,4],"weights":[4,16],"images":[],"ids":[1,2,3]}}]}`, true},
	{`{}`, true},
	{`{"session":"é"}`, true},
	{"{\"session\":\"\x90\"}", false},
	{`{"session":"s","batches":[{"step_seconds":-1.5E+3}]}`, true},
	{`{"session":"s","batches":[{"step_seconds":0}]}`, true},
	{`{"session":"s","hello":{"dataset":"d"}}`, false},
	{`{"session":"s","evals":[]}`, false},
	{`{"Session":"s"}`, false},
	{`{"session":"s","session":"t"}`, false},
	{`{"session":"s\u0041"}`, false},
	{`{"session":null}`, false},
	{`{"session":"s","wait":null}`, false},
	{`{"session":"s","rank":1.0}`, false},
	{`{"session":"s","rank":1e2}`, false},
	{`{"session":"s","rank":01}`, false},
	{`{"session":"s","run":99999999999999999999}`, false},
	{`{"session":"s","batches":[{"step_seconds":1e999}]}`, false},
	{`{"session":"s","batches":[{"step_seconds":.5}]}`, false},
	{`{"session":"s","batches":[{"losses":[1,2]}]}`, false},
	{`{"session":"s","batches":[{"bin":{"losses":[0,4],"losses":[0,4]}}]}`, false},
	{`{"session":"s","batches":[{"images":{"shape":[2,2]},"images":{"data":""}}]}`, false},
	{`{"session":"s","batches":[{"bin":{"ids":[1,]}}]}`, false},
	{`{"session":"s"} x`, false},
	{`{"session":"s"}{}`, false},
	{`{"session":"s",}`, false},
	{`[]`, false},
	{``, false},
}

// TestDecodeFastSeeds: decodeFast takes the clients' requests, leaves the
// rest, and agrees with encoding/json on what it takes.
func TestDecodeFastSeeds(t *testing.T) {
	for _, tc := range fastSeeds {
		_, ok := decodeFast([]byte(tc.json))
		if ok != tc.fast {
			t.Errorf("decodeFast(%s): ok = %v, want %v", tc.json, ok, tc.fast)
		}
		checkFastLikeJSON(t, []byte(tc.json))
	}
}

// FuzzDecodeFast: whatever decodeFast decodes, encoding/json (as
// DecodeRequest uses it) decodes into the same Request.
func FuzzDecodeFast(f *testing.F) {
	for _, tc := range fastSeeds {
		f.Add([]byte(tc.json))
	}
	f.Fuzz(checkFastLikeJSON)
}

func checkFastLikeJSON(t *testing.T, b []byte) {
	fast, ok := decodeFast(b)
	if !ok {
		return
	}
	std, err := decodeJSON(b, false)
	if err != nil {
		t.Fatalf("decodeFast took %q, which encoding/json refuses: %v", b, err)
	}
	if !reflect.DeepEqual(fast, std) {
		fj, _ := json.Marshal(fast)
		sj, _ := json.Marshal(std)
		t.Fatalf("decodeFast and encoding/json differ on %q:\n%s\n%s", b, fj, sj)
	}
}

// BenchmarkDecodeHeader measures decoding the JSON part of a binary
// request of 40 batch records as the Python client sends them.
func BenchmarkDecodeHeader(b *testing.B) {
	rec := []byte(fastSeeds[0].json)
	i := bytes.Index(rec, []byte(`{"arm"`))
	j := bytes.LastIndex(rec, []byte(`]}`))
	one := rec[i : bytes.Index(rec, []byte(`},{"arm"`))+1]
	var js []byte
	js = append(js, rec[:i]...)
	for n := range 40 {
		if n > 0 {
			js = append(js, ',')
		}
		js = append(js, one...)
	}
	js = append(js, rec[j:]...)
	if _, ok := decodeFast(js); !ok {
		b.Fatal("decodeFast does not take the benchmark's request")
	}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			decodeFast(js)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for b.Loop() {
			decodeJSON(js, true)
		}
	})
}

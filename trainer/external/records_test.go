package external

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestBadRecords: every bad request is refused with a message naming the
// problem, nothing of it is applied, and the run carries on.
func TestBadRecords(t *testing.T) {
	good := batchJSON(1)
	swap := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("test bug: %q not in the good record", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	cases := []struct {
		name, body, want string
	}{
		{"empty", ``, "empty request"},
		{"array", `[1,2]`, "must be a JSON object"},
		{"trailing", `{"session":"s"} {}`, "trailing data"},
		{"unknown field", `{"session":"s","nope":1}`, `unknown field "nope"`},
		{"no session", `{"batches":[]}`, `"session" is missing`},
		{"bad utf8", "{\"session\":\"\xff\"}", "not valid UTF-8"},
		{"wrong type", `{"session":"s","rank":"0"}`, `field "rank"`},
		{"rank out of range", `{"session":"s","rank":2,"world":2}`, "rank = 2 out of range"},
		{"world too big", `{"session":"s","world":1000}`, "world = 1000 out of range"},
		{"NaN literal", `{"session":"s","batches":[` + swap("0.1,2.5", "NaN,2.5") + `]}`, "NaN or Infinity"},
		{"null loss", `{"session":"s","batches":[` + swap("0.1,2.5", "null,2.5") + `]}`, "NaN and infinite values are not accepted"},
		{"float32 NaN", `{"session":"s","batches":[` + swap(`"losses":[0.1,2.5,0.3,1.5]`, `"losses":"AADAfwAAAAAAAAAAAAAAAA=="`) + `]}`, "losses[0] is NaN"},
		{"float32 bad base64", `{"session":"s","batches":[` + swap(`"losses":[0.1,2.5,0.3,1.5]`, `"losses":"AAA"`) + `]}`, "little-endian float32"},
		{"huge loss", `{"session":"s","batches":[` + swap("0.1,2.5", "1e999,2.5") + `]}`, "losses"},
		{"selected out of range", `{"session":"s","batches":[` + swap(`"selected":[1,3]`, `"selected":[1,4]`) + `]}`, "selected[1] = 4 out of range"},
		{"selected negative", `{"session":"s","batches":[` + swap(`"selected":[1,3]`, `"selected":[-1,3]`) + `]}`, "selected[0] = -1 out of range"},
		{"selected not increasing", `{"session":"s","batches":[` + swap(`"selected":[1,3]`, `"selected":[3,1]`) + `]}`, "must be increasing"},
		{"K mismatch labels", `{"session":"s","batches":[` + swap(`"labels":[1,2,3,4]`, `"labels":[1,2,3]`) + `]}`, "K mismatch: 4 losses but 3 labels"},
		{"K mismatch ids", `{"session":"s","batches":[` + swap(`"ids":[`, `"ids":[7,`) + `]}`, "K mismatch: 4 losses but 5 ids"},
		{"weights count", `{"session":"s","batches":[` + swap(`"weights":[0.5,0.5]`, `"weights":[1]`) + `]}`, "1 weights for 2 selected"},
		{"negative weight", `{"session":"s","batches":[` + swap(`"weights":[0.5,0.5]`, `"weights":[-1,2]`) + `]}`, "weights[0] = -1"},
		{"prob out of range", `{"session":"s","batches":[` + swap(`"true_prob":[0.9`, `"true_prob":[1.9`) + `]}`, "true_prob[0] = 1.9"},
		{"step zero", `{"session":"s","batches":[` + swap(`"step":1`, `"step":0`) + `]}`, "step = 0 out of range"},
		{"negative version", `{"session":"s","batches":[` + swap(`"step":1`, `"step":1,"version":-2`) + `]}`, "version = -2 out of range"},
		{"image bytes", `{"session":"s","batches":[` + swap(`"shape":[2,2]`, `"shape":[2,3]`) + `]}`, "images: 8 bytes for 2 selected images"},
		{"image base64", `{"session":"s","batches":[` + swap(`"data":"`, `"data":"!`) + `]}`, "not standard base64"},
		{"image shape", `{"session":"s","batches":[` + swap(`"shape":[2,2]`, `"shape":[2,2,2]`) + `]}`, "want [H, W] or [H, W, 3]"},
		{"eval accuracy", `{"session":"s","evals":[{"arm":0,"step":1,"test_loss":1,"test_accuracy":2}]}`, "test_accuracy = 2 out of range"},
		{"hello classes", `{"session":"s","hello":{"dataset":"d","classes":1,"k":4,"arms":[{"strategy":"topk","m":1}]}}`, "classes = 1 out of range"},
		{"hello m", `{"session":"s","hello":{"dataset":"d","classes":2,"k":4,"arms":[{"strategy":"topk","m":5}]}}`, "arms[0].m = 5 out of range"},
		{"hello strategy", `{"session":"s","hello":{"dataset":"d","classes":2,"k":4,"arms":[{"strategy":"focal","m":1}]}}`, `arms[0].strategy "focal" is not among`},
		{"hello no arms", `{"session":"s","hello":{"dataset":"d","classes":2,"k":4,"arms":[]}}`, "0 arms"},
		// Checked against the job's hello:
		{"arm beyond the job", `{"session":"job","batches":[` + swap(`"arm":0`, `"arm":1`) + `]}`, "arm = 1 but the job has 1 arm(s)"},
		{"label beyond classes", `{"session":"job","batches":[` + swap(`"labels":[1,2,3,4]`, `"labels":[1,2,3,10]`) + `]}`, "labels[3] = 10 out of range"},
		{"pred beyond classes", `{"session":"job","batches":[` + swap(`"preds":[1,0,3,2]`, `"preds":[1,0,3,-2]`) + `]}`, "preds[3] = -2 out of range"},
		{"id beyond num_train", `{"session":"job","batches":[` + swap(`"ids":[4,`, `"ids":[5000,`) + `]}`, "ids[0] = 5000 out of range"},
		{"K beyond hello", `{"session":"job","batches":[` + swap(`"losses":[0.1,`, `"losses":[0.1,0.1,`) + `]}`, "K mismatch"},
		{"unknown session", `{"session":"other","batches":[]}`, `session "other" is not the current job`},
		{"world differs", `{"session":"job","world":2,"rank":1}`, "world = 2 but this job started with world = 1"},
	}
	src := New(Options{})
	ctx := context.Background()
	if _, err := src.Ingest(ctx, request("job", true, batchJSON(1))); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkRefused(t, src, []byte(c.body), c.want) })
	}
	// The run carries on.
	rep, err := src.Ingest(ctx, request("job", false, batchJSON(2)))
	if err != nil || rep.Accepted != 1 {
		t.Fatalf("after the bad requests: %+v, %v", rep, err)
	}
	if got := src.State().Arms[0].ExamplesSeen; got != 8 {
		t.Errorf("examples seen = %d, want 8", got)
	}
}

// TestFloat32Losses: losses may come as base64 of little-endian float32.
func TestFloat32Losses(t *testing.T) {
	// 0.5, 2, 0.25, 1 as float32 little-endian.
	body := strings.Replace(batchJSON(1), `"losses":[0.1,2.5,0.3,1.5]`, `"losses":"AAAAPwAAAEAAAIA+AACAPw=="`, 1)
	req, err := DecodeRequest([]byte(`{"session":"s","batches":[` + body + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Batches[0].Losses; len(got) != 4 || got[0] != 0.5 || got[1] != 2 || got[2] != 0.25 || got[3] != 1 {
		t.Fatalf("losses = %v", got)
	}
}

func TestDecodeOversized(t *testing.T) {
	b := make([]byte, MaxBodyBytes+1)
	if _, err := DecodeRequest(b); err == nil || !strings.Contains(err.Error(), "request too large") {
		t.Fatalf("got %v", err)
	}
}

// FuzzDecodeRequest: the decoder never panics, and whatever it accepts the
// source ingests without panicking.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(request("job", true, batchJSON(1)))
	f.Add(request("job", false, batchJSON(2), batchJSON(3)))
	f.Add(request("job", false, versioned(2, 1), versioned(3, 9)))
	f.Add([]byte(`{"session":"s","rank":1,"world":2,"hello":` + helloJSON + `,"evals":[{"arm":0,"step":3,"test_loss":0.5,"test_accuracy":0.9,"per_class":[1,1,1,1,1,1,1,1,1,0.5]}]}`))
	f.Add([]byte(`{"session":"s","wait":3}`))
	f.Add([]byte(`{"session":"s","batches":[{"arm":0,"step":1,"losses":[NaN]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(checkDecoded)
}

// checkDecoded is the fuzz check of both request forms: a request is
// either refused with a *BadRequest that has a message, or decoded into
// one that keeps every invariant below; either way the source takes it
// without panicking.
func checkDecoded(t *testing.T, b []byte) {
	req, err := DecodeRequest(b)
	if err != nil {
		var br *BadRequest
		if !errors.As(err, &br) || br.Msg == "" {
			t.Fatalf("error %v is not a *BadRequest with a message", err)
		}
		return
	}
	if req.World < 1 || req.Rank >= req.World {
		t.Fatalf("accepted rank %d of world %d", req.Rank, req.World)
	}
	for _, bt := range req.Batches {
		if bt.Version < 0 {
			t.Fatalf("accepted version %d", bt.Version)
		}
		for _, i := range bt.Selected {
			if i < 0 || int(i) >= len(bt.Losses) {
				t.Fatalf("accepted selected index %d of %d", i, len(bt.Losses))
			}
		}
	}
	src := New(Options{LongPoll: time.Millisecond})
	src.Ingest(context.Background(), b)
}

// checkRefused sends body to src and requires a *BadRequest whose message
// contains want, and a run that the request left unchanged.
func checkRefused(t *testing.T, src *Source, body []byte, want string) {
	t.Helper()
	before := src.State().Arms[0].ExamplesSeen
	_, err := src.Ingest(context.Background(), body)
	var br *BadRequest
	if !errors.As(err, &br) {
		t.Fatalf("got %v, want a *BadRequest", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if after := src.State().Arms[0].ExamplesSeen; after != before {
		t.Errorf("a refused request changed the run: examples seen %d -> %d", before, after)
	}
}

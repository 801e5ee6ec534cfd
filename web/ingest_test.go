package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/external"
)

const ingestToken = "ingest-token-0123456789"

// externalEnv serves an external source with a control token.
func externalEnv(t *testing.T) (*testEnv, *external.Source) {
	t.Helper()
	var src *external.Source
	var srv *Server
	env := newEnv(t, func(o *Options) {
		src = external.New(external.Options{Sink: trainer.SinkFunc(func(e trainer.Event) { srv.Publish(e) }), Command: "python3 train.py"})
		o.Trainer, o.Ingest, o.ControlToken = src, src, ingestToken
	})
	srv = env.s
	return env, src
}

func ingestBody(session string, hello bool, step int) string {
	px := base64.StdEncoding.EncodeToString([]byte{0, 255, 0, 255, 10, 20, 30, 40})
	var b strings.Builder
	fmt.Fprintf(&b, `{"session":%q`, session)
	if hello {
		b.WriteString(`,"hello":{"dataset":"mnist","classes":10,"num_train":100,"k":4,"image":[2,2],"arms":[{"strategy":"topk","m":2}]}`)
	}
	fmt.Fprintf(&b, `,"batches":[{"arm":0,"step":%d,"losses":[0.1,2.5,0.3,1.5],"labels":[1,2,3,4],"preds":[1,0,3,2],"ids":[0,1,2,3],"selected":[1,3],"images":{"shape":[2,2],"data":%q}}]}`, step, px)
	return b.String()
}

func TestIngestRoute(t *testing.T) {
	env, _ := externalEnv(t)
	post := func(body string, hdr ...string) (int, map[string]any) {
		code, _, b := env.do(t, "POST", "/api/ingest", "application/json", strings.NewReader(body), hdr...)
		return code, jsonBody(t, b)
	}
	auth := []string{"Authorization", "Bearer " + ingestToken}

	// Before a trainer: the state says how to start one.
	if st := env.s.State(); st.Status != external.StateWaiting || !strings.Contains(st.Reason, "python3 train.py") {
		t.Fatalf("state before a trainer: %q %q", st.Status, st.Reason)
	}
	for _, c := range []struct {
		name string
		hdr  []string
		body string
		code int
		want string
	}{
		{"no token", nil, ingestBody("s", true, 1), 403, "needs the control token"},
		{"wrong token", []string{"Authorization", "Bearer wrong-token-0123456789"}, ingestBody("s", true, 1), 403, "needs the control token"},
		{"cross-site", append([]string{"Origin", "https://evil.example"}, auth...), ingestBody("s", true, 1), 403, "cross-site"},
		{"bad record", auth, strings.Replace(ingestBody("s", true, 1), `"selected":[1,3]`, `"selected":[1,9]`, 1), 400, "selected[1] = 9 out of range"},
		{"NaN", auth, strings.Replace(ingestBody("s", true, 1), `0.1,2.5`, `NaN,2.5`, 1), 400, "NaN"},
		{"oversized", auth, `{"session":"s","hello":"` + strings.Repeat("x", external.MaxBodyBytes) + `"}`, 413, "request too large"},
	} {
		code, body := post(c.body, c.hdr...)
		if code != c.code || !strings.Contains(fmt.Sprint(body["error"]), c.want) {
			t.Errorf("%s: %d %v, want %d %q", c.name, code, body, c.code, c.want)
		}
	}
	code, rep := post(ingestBody("s", true, 1), auth...)
	if code != 200 || rep["ok"] != true {
		t.Fatalf("good request: %d %v", code, rep)
	}
	// A change made through /api/control is in the next reply.
	code, _, b := env.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"set","arm":0,"m":3}`), auth...)
	if code != 200 {
		t.Fatalf("control: %d %s", code, b)
	}
	_, rep = post(ingestBody("s", false, 2), auth...)
	arms := rep["arms"].([]any)
	if m := arms[0].(map[string]any)["m"]; m != 3.0 {
		t.Fatalf("m in the reply = %v, want 3", m)
	}
	// The page's thumbnails come from the images the trainer sent.
	code, hdr, png := env.get(t, "/api/examples/1.png")
	if code != 200 || hdr.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("thumbnail: %d %s", code, hdr.Get("Content-Type"))
	}
	code, _, b = env.get(t, "/api/example/3")
	if code != 200 || !strings.Contains(string(b), `"thumb"`) {
		t.Fatalf("example: %d %s", code, b)
	}
	code, _, _ = env.get(t, "/api/examples/77.png")
	if code != http.StatusNotFound {
		t.Errorf("thumbnail of an example never sent: %d", code)
	}
}

func TestIngestWithoutExternalSource(t *testing.T) {
	env := newEnv(t, nil)
	code, _, b := env.do(t, "POST", "/api/ingest", "application/json", strings.NewReader(ingestBody("s", true, 1)))
	if code != 404 || !strings.Contains(string(b), "--source external") {
		t.Fatalf("%d %s", code, b)
	}
}

// TestIngestBinaryAndExternalPage: the binary format passes the request
// guard as application/octet-stream, and the page of an external run shows
// a note instead of the Data controls it cannot apply.
func TestIngestBinaryAndExternalPage(t *testing.T) {
	env, _ := externalEnv(t)
	auth := []string{"Authorization", "Bearer " + ingestToken}
	if code, _, b := env.do(t, "POST", "/api/ingest", "application/json", bytes.NewReader(ingestBatches(1, 1, true, true)), auth...); code != 200 {
		t.Fatalf("hello: %d %s", code, b)
	}
	code, _, b := env.do(t, "POST", "/api/ingest", "application/octet-stream", bytes.NewReader(ingestBinary(2, 3, false)), auth...)
	if code != 200 || jsonBody(t, b)["accepted"] != float64(3) {
		t.Fatalf("binary request: %d %s", code, b)
	}
	if st := env.s.State(); st.Arms[0].ExamplesSeen != 4*128 {
		t.Errorf("examples seen %d, want 4 batches of 128", st.Arms[0].ExamplesSeen)
	}
	code, _, b = env.do(t, "POST", "/api/ingest", "text/plain", bytes.NewReader(ingestBinary(5, 1, false)), auth...)
	if code != http.StatusUnsupportedMediaType || !strings.Contains(string(b), "application/octet-stream") {
		t.Errorf("text/plain body: %d %s", code, b)
	}
	for _, path := range []string{"/", "/fragments/controls"} {
		_, _, page := env.get(t, path)
		if !strings.Contains(string(page), `id="data-external"`) || strings.Contains(string(page), `id="ctl-dataset"`) {
			t.Errorf("%s of an external run: want the Data note and no dataset control", path)
		}
	}
	// Hardest so far: thumbnails only of examples whose image was sent
	// (the newest batch's kept ones), each of them served.
	_, _, hard := env.get(t, "/fragments/hardest?arm=0")
	thumbs := regexp.MustCompile(`src="(/api/examples/\d+\.png[^"]*)"`).FindAllStringSubmatch(string(hard), -1)
	if rows := strings.Count(string(hard), `class="hard-item`); rows == 0 || len(thumbs) == 0 || len(thumbs) >= rows {
		t.Errorf("hardest so far: %d rows, %d thumbnails; want some rows without (their batches came without images)", rows, len(thumbs))
	}
	for _, m := range thumbs {
		if code, _, _ := env.get(t, strings.ReplaceAll(m[1], "&amp;", "&")); code != 200 {
			t.Errorf("thumbnail %s: HTTP %d", m[1], code)
		}
	}
	// An example's details name its thumbnail only when the server has it,
	// and the state says that only some examples have one.
	if !env.s.State().Dataset.SomeImages {
		t.Error("state of an external run with images: some_images is not set")
	}
	with, without := 0, 0
	for _, m := range regexp.MustCompile(`data-id="(\d+)"`).FindAllStringSubmatch(string(hard), -1) {
		code, _, b := env.get(t, "/api/example/"+m[1])
		if code != 200 {
			t.Fatalf("GET /api/example/%s: %d %s", m[1], code, b)
		}
		thumb, _ := jsonBody(t, b)["thumb"].(string)
		if thumb == "" {
			without++
			continue
		}
		with++
		if code, _, _ := env.get(t, thumb); code != 200 {
			t.Errorf("example %s names thumbnail %s: HTTP %d", m[1], thumb, code)
		}
	}
	if with == 0 || without == 0 {
		t.Errorf("example details: %d with a thumbnail, %d without; want both (only the newest batch's images were sent)", with, without)
	}
	plain := newEnv(t, nil)
	if _, _, page := plain.get(t, "/fragments/controls"); !strings.Contains(string(page), `id="ctl-dataset"`) {
		t.Errorf("the built-in trainer's controls lost the dataset control")
	}
}

package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/external"
)

// ingestBatches builds one request body of n batch records of K = 128
// (M = 32, with the kept examples' 28×28 images) as the Python client
// sends them.
func ingestBatches(first, n int, hello, images bool) []byte {
	r := rand.New(rand.NewPCG(1, uint64(first)))
	const k, m = 128, 32
	px := make([]byte, m*28*28)
	for i := range px {
		px[i] = byte(r.IntN(256))
	}
	img := base64.StdEncoding.EncodeToString(px)
	kept := make([]string, m)
	for i := range kept {
		kept[i] = fmt.Sprint(i * k / m)
	}
	sel := strings.Join(kept, ",")
	var b strings.Builder
	b.WriteString(`{"session":"bench"`)
	if hello {
		b.WriteString(`,"hello":{"dataset":"mnist","classes":10,"num_train":60000,"k":128,"image":[28,28],"arms":[{"strategy":"topk","m":32}]}`)
	}
	b.WriteString(`,"batches":[`)
	for j := 0; j < n; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		list := func(f func(i int) string) string {
			parts := make([]string, k)
			for i := range parts {
				parts[i] = f(i)
			}
			return strings.Join(parts, ",")
		}
		fmt.Fprintf(&b, `{"arm":0,"step":%d,"losses":[%s],"labels":[%s],"preds":[%s],"ids":[%s],"true_prob":[%s],"selected":[%s],"m":32,"strategy":"topk","step_seconds":0.002,"images":{"shape":[28,28],"data":%q}}`,
			first+j,
			list(func(int) string { return fmt.Sprint(r.Float32() * 3) }),
			list(func(int) string { return fmt.Sprint(r.IntN(10)) }),
			list(func(int) string { return fmt.Sprint(r.IntN(10)) }),
			list(func(int) string { return fmt.Sprint(r.IntN(60000)) }),
			list(func(int) string { return fmt.Sprint(r.Float32()) }),
			sel, img)
	}
	b.WriteString(`]}`)
	if !images {
		return []byte(strings.ReplaceAll(b.String(), `,"images":{"shape":[28,28],"data":"`+img+`"}`, ""))
	}
	return []byte(b.String())
}

// BenchmarkIngest measures POST /api/ingest on loopback: K = 128 batch
// records (with or without the 32 kept examples' 28×28 images), one or 16
// per request (the Python client batches them when training outruns the
// network), decoded, checked and turned into events for the hub. Reported
// as batches/s.
func BenchmarkIngest(b *testing.B) {
	for _, c := range []struct {
		per    int
		images bool
	}{{1, true}, {16, true}, {16, false}} {
		per := c.per
		b.Run(fmt.Sprintf("per_request=%d/images=%v", per, c.images), func(b *testing.B) {
			var srv *Server
			src := external.New(external.Options{Sink: trainer.SinkFunc(func(e trainer.Event) { srv.Publish(e) })})
			s, err := New(Options{Trainer: src, Ingest: src, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			srv = s
			defer s.Close()
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			post := func(body []byte) {
				res, err := http.Post(ts.URL+"/api/ingest", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("HTTP %d", res.StatusCode)
				}
			}
			post(ingestBatches(1, 1, true, true))
			bodies := make([][]byte, 8)
			for i := range bodies {
				bodies[i] = ingestBatches(2+i*per, per, false, c.images)
			}
			b.SetBytes(int64(len(bodies[0])))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				post(bodies[i%len(bodies)])
			}
			b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "batches/s")
		})
	}
}

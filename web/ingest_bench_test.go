package web

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math"
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

// ingestBinary builds one binary request (external.BinaryMagic) of n
// batch records of K = 128, M = 32, as the Python client sends them: the
// arrays as little-endian float32 / int32 in the data part, the kept
// examples' 28×28 images with every record (allImages) or with the newest
// one only (the client's default).
func ingestBinary(first, n int, allImages bool) []byte {
	r := rand.New(rand.NewPCG(2, uint64(first)))
	const k, m = 128, 32
	var data []byte
	ref := func(from int) string { return fmt.Sprintf("[%d,%d]", from, len(data)-from) }
	f32 := func(f func() float32) string {
		from := len(data)
		for range k {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(f()))
		}
		return ref(from)
	}
	i32 := func(cnt int, f func(i int) int) string {
		from := len(data)
		for i := range cnt {
			data = binary.LittleEndian.AppendUint32(data, uint32(f(i)))
		}
		return ref(from)
	}
	var js strings.Builder
	js.WriteString(`{"session":"bench","batches":[`)
	for j := 0; j < n; j++ {
		if j > 0 {
			js.WriteByte(',')
		}
		fmt.Fprintf(&js, `{"arm":0,"step":%d,"m":32,"strategy":"topk","step_seconds":0.002`, first+j)
		refs := fmt.Sprintf(`"losses":%s,"true_prob":%s,"preds":%s,"labels":%s,"ids":%s,"selected":%s`,
			f32(func() float32 { return r.Float32() * 3 }), f32(r.Float32),
			i32(k, func(int) int { return r.IntN(10) }), i32(k, func(int) int { return r.IntN(10) }),
			i32(k, func(int) int { return r.IntN(60000) }), i32(m, func(i int) int { return i * k / m }))
		if allImages || j == n-1 {
			from := len(data)
			for range m * 28 * 28 {
				data = append(data, byte(r.IntN(256)))
			}
			js.WriteString(`,"images":{"shape":[28,28]}`)
			refs += `,"images":` + ref(from)
		}
		js.WriteString(`,"bin":{` + refs + `}}`)
	}
	js.WriteString(`]}`)
	b := []byte(external.BinaryMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(js.Len()))
	b = append(b, js.String()...)
	return append(b, data...)
}

// BenchmarkIngest measures POST /api/ingest on loopback: K = 128 batch
// records (with or without the 32 kept examples' 28×28 images), one or
// more per request, decoded, checked and turned into events for the hub.
// Reported as batches/s. format=binary is what the Python client sends
// (images=newest: the kept images of the newest record of a request, the
// client's default; it sends a request every 250 ms, about 70-100
// records at 2.5-3.5 ms a step); format=json is the plain JSON form other clients may send.
func BenchmarkIngest(b *testing.B) {
	for _, c := range []struct {
		format string
		per    int
		images string
	}{{"json", 1, "all"}, {"json", 16, "all"}, {"json", 16, "none"},
		{"binary", 1, "all"}, {"binary", 16, "all"}, {"binary", 16, "newest"}, {"binary", 40, "newest"}} {
		per := c.per
		b.Run(fmt.Sprintf("format=%s/per_request=%d/images=%s", c.format, per, c.images), func(b *testing.B) {
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
			ctype := "application/json" // the hello, then the format's
			post := func(body []byte) {
				res, err := http.Post(ts.URL+"/api/ingest", ctype, bytes.NewReader(body))
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
			if c.format == "binary" {
				ctype = "application/octet-stream"
			}
			bodies := make([][]byte, 8)
			for i := range bodies {
				if c.format == "binary" {
					bodies[i] = ingestBinary(2+i*per, per, c.images == "all")
				} else {
					bodies[i] = ingestBatches(2+i*per, per, false, c.images == "all")
				}
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

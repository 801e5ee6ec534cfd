package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
)

// benchDataset is the dataset of BenchmarkTrainerWithViewers: MNIST, the
// default experiment.
const benchDataset = "mnist"

// runSteps trains steps steps of the default experiment with sink and
// returns the steps per second of Run.
func runSteps(b *testing.B, steps int64, sink func(*trainer.Trainer) trainer.Sink, before func(*trainer.Trainer)) float64 {
	b.Helper()
	var fwd trainer.Sink
	var tr *trainer.Trainer
	var mu sync.Mutex
	proxy := trainer.SinkFunc(func(e trainer.Event) {
		mu.Lock()
		s := fwd
		mu.Unlock()
		if s != nil {
			s.Publish(e)
		}
	})
	tr, err := trainer.New(trainer.DefaultConfig(benchDataset), trainer.Options{Sink: proxy, MaxSteps: steps})
	if err != nil {
		b.Skipf("trainer.New(%s): %v", benchDataset, err)
	}
	mu.Lock()
	fwd = sink(tr)
	mu.Unlock()
	if before != nil {
		before(tr)
	}
	start := time.Now()
	if err := tr.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	return float64(steps) / time.Since(start).Seconds()
}

// BenchmarkTrainerWithViewers measures trainer steps per second headless
// and with 100 websocket viewers on loopback reading every frame, in three
// alternating rounds (so that drifting machine load hits both alike), and
// reports the medians and their ratio. b.N is the number of steps of each
// phase (at least 300).
func BenchmarkTrainerWithViewers(b *testing.B) {
	const rounds = 3
	steps := int64(max(b.N, 300))
	var headless, with, frames []float64
	for range rounds {
		headless = append(headless, runSteps(b, steps, func(*trainer.Trainer) trainer.Sink {
			return trainer.SinkFunc(func(trainer.Event) {})
		}, nil))
		sps, fpv := stepsWithViewers(b, steps, 100)
		with = append(with, sps)
		frames = append(frames, fpv)
	}
	h, w := median(headless), median(with)
	b.ReportMetric(h, "steps/s-headless")
	b.ReportMetric(w, "steps/s-100viewers")
	b.ReportMetric(w/h, "ratio")
	b.ReportMetric(median(frames), "frames/viewer")
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// stepsWithViewers trains steps steps behind a server with n reading
// viewers and returns the steps per second and the frames each viewer got.
func stepsWithViewers(b *testing.B, steps int64, n int) (float64, float64) {
	var s *Server
	var ts *httptest.Server
	var wg sync.WaitGroup
	var conns []*websocket.Conn
	frames := make([]int, n)
	sps := runSteps(b, steps, func(tr *trainer.Trainer) trainer.Sink {
		var err error
		s, err = New(Options{Trainer: tr, Logger: slog.New(slog.DiscardHandler), MaxViewersPerAddr: 1000})
		if err != nil {
			b.Fatal(err)
		}
		ts = httptest.NewServer(s.Handler())
		return s.Sink()
	}, func(tr *trainer.Trainer) {
		u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
		for i := 0; i < n; i++ {
			c, _, err := websocket.DefaultDialer.Dial(u, nil)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
					frames[i]++
				}
			}(i)
		}
		for s.Viewers() < n {
			time.Sleep(time.Millisecond)
		}
	})
	s.Close()
	ts.Close()
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	total := 0
	for _, f := range frames {
		total += f
	}
	return sps, float64(total) / float64(n)
}

package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// churnReport is the result of a soak (--churn).
type churnReport struct {
	Viewers     int     `json:"viewers"` // connection slots kept busy
	Silent      int     `json:"silent"`  // slots whose viewers read nothing
	Seconds     float64 `json:"seconds"`
	Connections int64   `json:"connections"` // successful connects in all
	Refused     int64   `json:"refused"`
	// FirstRefusal is the error of the first failed connection attempt.
	FirstRefusal string `json:"first_refusal,omitempty"`
	// Broken counts reading connections that failed before their stay
	// ended.
	Broken          int64   `json:"broken"`
	Frames          int64   `json:"frames"`
	BatchFrames     int64   `json:"batch_frames"`
	Coalesced       int64   `json:"coalesced_steps"`
	LatencySamples  int     `json:"latency_samples"`
	LatencyP50      float64 `json:"latency_ms_p50"`
	LatencyP99      float64 `json:"latency_ms_p99"`
	LatencyMax      float64 `json:"latency_ms_max"`
	StepsPerSBefore float64 `json:"steps_per_s_before"`
	StepsPerSDuring float64 `json:"steps_per_s_during"`
	Ratio           float64 `json:"steps_ratio"`
	Status          string  `json:"status"`
	// Baseline is read (after a forced GC) before any viewer connects,
	// Peak holds the largest figures seen during the churn (no forced
	// GC) and After is the first reading after the churn that is back to
	// baseline, or the last one tried.
	Baseline     runtimeSample `json:"baseline"`
	Peak         runtimeSample `json:"peak"`
	After        runtimeSample `json:"after"`
	SettleSecond float64       `json:"settle_seconds"`
	Tolerance    tolerance     `json:"tolerance"`
	Pass         bool          `json:"pass"`
	Why          string        `json:"why,omitempty"`
}

// churnCounters are shared by the connection slots.
type churnCounters struct {
	connections, refused, broken atomic.Int64
	closes                       atomic.Int64 // alternates clean and abrupt hang-ups
	firstRefusal                 atomic.Pointer[string]
}

// soak runs the churn: about cfg.viewers connections at any time for
// cfg.duration, each staying a random time in [stayMin, stayMax] and then
// reconnecting; then it waits for the server to return to its baseline.
func soak(ctx context.Context, cfg config, log io.Writer) (*churnReport, error) {
	base := strings.TrimRight(cfg.base.String(), "/")
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	rep := &churnReport{Viewers: cfg.viewers, Tolerance: cfg.tol}
	var err error
	if rep.Baseline, err = getRuntime(ctx, base, true); err != nil {
		return nil, err
	}
	s0, err := getState(ctx, base)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "baseline: %d goroutines, heap_inuse %.1f MB, %d viewers; measuring steps/s for %v...\n",
		rep.Baseline.Goroutines, mb(rep.Baseline.HeapInuse), rep.Baseline.Viewers, cfg.baseline)
	if err := sleep(ctx, cfg.baseline); err != nil {
		return nil, err
	}
	s1, err := getState(ctx, base)
	if err != nil {
		return nil, err
	}
	rep.StepsPerSBefore = rate(s0, s1)

	fmt.Fprintf(log, "churning %d viewers (stays %v to %v) for %v...\n", cfg.viewers, cfg.stayMin, cfg.stayMax, cfg.duration)
	loadCtx, stopLoad := context.WithTimeout(ctx, cfg.duration)
	defer stopLoad()
	start := time.Now()
	s2, err := getState(ctx, base)
	if err != nil {
		return nil, err
	}
	var cnt churnCounters
	tick := time.NewTicker(time.Second / time.Duration(cfg.dialRate))
	defer tick.Stop()
	stats := make([]*viewerStats, cfg.viewers)
	var wg sync.WaitGroup
	for i := range cfg.viewers {
		silent := math.Floor(float64(i+1)*cfg.silent) > math.Floor(float64(i)*cfg.silent)
		if silent {
			rep.Silent++
		} else {
			stats[i] = &viewerStats{}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.seed, uint64(i)))
			slot(loadCtx, cfg, wsURL, tick.C, rng, stats[i], &cnt)
		}()
	}
	peakDone := make(chan struct{})
	go func() {
		defer close(peakDone)
		rep.Peak = samplePeak(loadCtx, base, min(2*time.Second, max(100*time.Millisecond, cfg.duration/10)))
	}()
	<-loadCtx.Done()
	if ctx.Err() != nil {
		wg.Wait()
		return nil, ctx.Err()
	}
	s3, err := getState(ctx, base)
	wg.Wait()
	<-peakDone
	if err != nil {
		return nil, err
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.StepsPerSDuring = rate(s2, s3)
	if rep.StepsPerSBefore > 0 {
		rep.Ratio = rep.StepsPerSDuring / rep.StepsPerSBefore
	}
	rep.Status = s3.Status
	rep.Connections, rep.Refused, rep.Broken = cnt.connections.Load(), cnt.refused.Load(), cnt.broken.Load()
	if p := cnt.firstRefusal.Load(); p != nil {
		rep.FirstRefusal = *p
	}
	rep.addStats(stats)

	fmt.Fprintf(log, "all viewers closed; waiting up to %v for the server to return to baseline...\n", cfg.settle)
	closed := time.Now()
	deadline := closed.Add(cfg.settle)
	for {
		if err := sleep(ctx, time.Second); err != nil {
			return nil, err
		}
		if rep.After, err = getRuntime(ctx, base, true); err != nil {
			return nil, err
		}
		rep.Why = cfg.tol.check(rep.Baseline, rep.After)
		if rep.Why == "" || time.Now().After(deadline) {
			break
		}
	}
	rep.SettleSecond = time.Since(closed).Seconds()
	rep.Pass = rep.Why == ""
	return rep, nil
}

// slot keeps one connection busy until ctx ends: dial (one dial per tick
// of the shared rate limiter), stay a random time, hang up, repeat. v is
// nil for a silent slot, whose viewers read nothing.
func slot(ctx context.Context, cfg config, wsURL string, tick <-chan time.Time, rng *rand.Rand, v *viewerStats, cnt *churnCounters) {
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	for {
		select {
		case <-tick:
		case <-ctx.Done():
			return
		}
		c, resp, err := dialer.DialContext(ctx, wsURL, nil)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			cnt.refused.Add(1)
			msg := err.Error()
			if resp != nil {
				msg = resp.Status + ": " + msg
			}
			cnt.firstRefusal.CompareAndSwap(nil, &msg)
			continue
		}
		cnt.connections.Add(1)
		stay := cfg.stayMin + time.Duration(rng.Int64N(int64(cfg.stayMax-cfg.stayMin)+1))
		connCtx, cancel := context.WithTimeout(ctx, stay)
		// Half the hang-ups send a close frame first, half just drop the
		// TCP connection, like a browser tab that is killed.
		graceful := cnt.closes.Add(1)%2 == 0
		if v == nil {
			<-connCtx.Done()
			hangUp(c, graceful)
		} else {
			v.read(connCtx, c, graceful)
			if v.err != nil {
				cnt.broken.Add(1)
				v.err = nil
			}
			c.Close()
		}
		cancel()
	}
}

// samplePeak reads /debug/runtime every interval (without forcing a GC)
// until ctx ends and returns the largest figures seen.
func samplePeak(ctx context.Context, base string, interval time.Duration) runtimeSample {
	var p runtimeSample
	for sleep(ctx, interval) == nil {
		s, err := getRuntime(ctx, base, false)
		if err != nil {
			continue
		}
		p.Goroutines = max(p.Goroutines, s.Goroutines)
		p.HeapAlloc = max(p.HeapAlloc, s.HeapAlloc)
		p.HeapInuse = max(p.HeapInuse, s.HeapInuse)
		p.NumGC = max(p.NumGC, s.NumGC)
		p.Viewers = max(p.Viewers, s.Viewers)
	}
	return p
}

// addStats folds the reading slots' statistics into r.
func (r *churnReport) addStats(stats []*viewerStats) {
	var lat []float64
	for _, v := range stats {
		if v == nil {
			continue
		}
		r.Frames += int64(v.frames)
		r.BatchFrames += int64(v.batches)
		r.Coalesced += v.coalesced
		lat = append(lat, v.latencies...)
	}
	slices.Sort(lat)
	r.LatencySamples = len(lat)
	r.LatencyP50 = quantile(lat, 0.5)
	r.LatencyP99 = quantile(lat, 0.99)
	if len(lat) > 0 {
		r.LatencyMax = lat[len(lat)-1]
	}
}

// write prints r as text.
func (r *churnReport) write(w io.Writer) {
	fmt.Fprintf(w, "churn              %d slots (%d silent) for %.0f s: %d connections, %d refused, %d broken\n",
		r.Viewers, r.Silent, r.Seconds, r.Connections, r.Refused, r.Broken)
	if r.FirstRefusal != "" {
		fmt.Fprintf(w, "first refusal      %s\n", r.FirstRefusal)
	}
	fmt.Fprintf(w, "frames             %d (%d batch), coalesced steps %d\n", r.Frames, r.BatchFrames, r.Coalesced)
	fmt.Fprintf(w, "frame latency      p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)\n", r.LatencyP50, r.LatencyP99, r.LatencyMax, r.LatencySamples)
	fmt.Fprintf(w, "trainer steps/s    %.1f before, %.1f during (%.3fx), status %s\n", r.StepsPerSBefore, r.StepsPerSDuring, r.Ratio, r.Status)
	fmt.Fprintf(w, "                   goroutines  heap_inuse MB  heap_alloc MB  viewers\n")
	row := func(name string, s runtimeSample) {
		fmt.Fprintf(w, "%-18s %10d  %13.1f  %13.1f  %7d\n", name, s.Goroutines, mb(s.HeapInuse), mb(s.HeapAlloc), s.Viewers)
	}
	row("baseline (GC)", r.Baseline)
	row("peak (no GC)", r.Peak)
	row("after (GC)", r.After)
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL: " + r.Why
	}
	fmt.Fprintf(w, "back to baseline   %s after %.1f s (tolerance: goroutines +%d, heap_inuse within %gx or +%g MB)\n",
		verdict, r.SettleSecond, r.Tolerance.Goroutines, r.Tolerance.HeapRatio, r.Tolerance.HeapMB)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// runtimeSample is what the tool reads from the server's loopback-only
// GET /debug/runtime.
type runtimeSample struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	HeapInuse  uint64 `json:"heap_inuse"`
	NumGC      uint32 `json:"num_gc"`
	Viewers    int    `json:"viewers"`
}

// getRuntime reads GET /debug/runtime, with ?gc=1 (a forced garbage
// collection on the server first) when gc is true.
func getRuntime(ctx context.Context, base string, gc bool) (runtimeSample, error) {
	var s runtimeSample
	u := base + "/debug/runtime"
	if gc {
		u += "?gc=1"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return s, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("GET /debug/runtime: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET /debug/runtime: %s (the soak needs a server with the loopback-only debug endpoint: start it with ohemlab serve --debug)", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&s); err != nil {
		return s, fmt.Errorf("GET /debug/runtime: %w", err)
	}
	return s, nil
}

// tolerance says how far above its baseline the server may end a soak and
// still count as back to baseline.
type tolerance struct {
	// Goroutines is the number of goroutines allowed above baseline.
	Goroutines int `json:"goroutines"`
	// HeapRatio and HeapMB: heap_inuse passes when it is at most
	// HeapRatio times the baseline or at most HeapMB megabytes
	// (1 MB = 1<<20 bytes) above it, whichever is larger.
	HeapRatio float64 `json:"heap_ratio"`
	HeapMB    float64 `json:"heap_mb"`
}

// heapLimit returns the largest heap_inuse that passes against base.
func (t tolerance) heapLimit(base uint64) uint64 {
	return uint64(max(float64(base)*t.HeapRatio, float64(base)+t.HeapMB*(1<<20)))
}

// check returns "" when after is back to baseline within t (no viewers
// left, goroutines and heap_inuse within bounds) and otherwise a sentence
// saying what is not.
func (t tolerance) check(base, after runtimeSample) string {
	switch {
	case after.Viewers != 0:
		return fmt.Sprintf("%d viewers still connected", after.Viewers)
	case after.Goroutines > base.Goroutines+t.Goroutines:
		return fmt.Sprintf("%d goroutines, more than baseline %d + %d", after.Goroutines, base.Goroutines, t.Goroutines)
	case after.HeapInuse > t.heapLimit(base.HeapInuse):
		return fmt.Sprintf("heap_inuse %.1f MB, more than the limit %.1f MB (baseline %.1f MB × %g or + %g MB)",
			mb(after.HeapInuse), mb(t.heapLimit(base.HeapInuse)), mb(base.HeapInuse), t.HeapRatio, t.HeapMB)
	}
	return ""
}

// mb converts bytes to megabytes (1<<20 bytes).
func mb(b uint64) float64 { return float64(b) / (1 << 20) }

package web

import (
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens per second up to burst. A zero
// rate disables limiting.
type bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes one token at time now if there is one.
func (b *bucket) allow(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// limiterMap keeps one bucket per client address for POST /api/control.
// It forgets every address when it grows beyond limiterMapMax, which only
// ever makes limiting more lenient.
type limiterMap struct {
	mu    sync.Mutex
	rate  float64
	burst int
	m     map[string]*bucket
}

const limiterMapMax = 10000

func newLimiterMap(rate float64, burst int) *limiterMap {
	return &limiterMap{rate: rate, burst: burst, m: map[string]*bucket{}}
}

func (l *limiterMap) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= limiterMapMax {
			clear(l.m)
		}
		b = newBucket(l.rate, l.burst)
		l.m[key] = b
	}
	return b.allow(now)
}

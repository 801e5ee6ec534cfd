package web

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// newLimiter returns a token bucket of r events per second with bursts of
// burst (golang.org/x/time/rate). A zero rate disables limiting.
func newLimiter(r float64, burst int) *rate.Limiter {
	if r <= 0 {
		return rate.NewLimiter(rate.Inf, 0)
	}
	return rate.NewLimiter(rate.Limit(r), burst)
}

// limiterMap keeps one token bucket per client address (the host of
// RemoteAddr, without the port). It forgets every address when it grows
// beyond limiterMapMax, which only ever makes limiting more lenient.
type limiterMap struct {
	mu    sync.Mutex
	rate  float64
	burst int
	m     map[string]*rate.Limiter
}

const limiterMapMax = 10000

func newLimiterMap(r float64, burst int) *limiterMap {
	return &limiterMap{rate: r, burst: burst, m: map[string]*rate.Limiter{}}
}

// get returns the bucket of a client address.
func (l *limiterMap) get(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= limiterMapMax {
			clear(l.m)
		}
		b = newLimiter(l.rate, l.burst)
		l.m[key] = b
	}
	return b
}

// allow takes one event from key's bucket at time now if there is one.
func (l *limiterMap) allow(key string, now time.Time) bool {
	return l.get(key).AllowN(now, 1)
}

// ready reports whether key's bucket holds an event at time now, without
// taking it.
func (l *limiterMap) ready(key string, now time.Time) bool {
	b := l.get(key)
	return b.Limit() == rate.Inf || b.TokensAt(now) >= 1
}

// clientHost is the address part of a RemoteAddr ("host:port"), the key of
// the per-address limits.
func clientHost(remoteAddr string) string {
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return h
	}
	return remoteAddr
}

package web

import "sync"

// DefaultMaxViewersPerAddr is the default cap on websocket viewers from one
// client address (--max-viewers-per-address).
const DefaultMaxViewersPerAddr = 64

// addrSlots counts the websocket viewers of each client address.
type addrSlots struct {
	mu  sync.Mutex
	max int
	n   map[string]int
}

func newAddrSlots(max int) *addrSlots { return &addrSlots{max: max, n: map[string]int{}} }

// acquire takes a slot for host; false when host already holds max.
func (a *addrSlots) acquire(host string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[host] >= a.max {
		return false
	}
	a.n[host]++
	return true
}

// release frees a slot taken by acquire.
func (a *addrSlots) release(host string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[host] <= 1 {
		delete(a.n, host)
		return
	}
	a.n[host]--
}

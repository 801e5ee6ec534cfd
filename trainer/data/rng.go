package data

import "math/rand/v2"

// Random streams: each use of the seed gets its own stream so that, for
// example, changing the label noise does not move the points.
const (
	streamPoints uint64 = 0x6f68656d01
	streamSplit  uint64 = 0x6f68656d02
	streamNoise  uint64 = 0x6f68656d03
	streamDetect uint64 = 0x6f68656d04
)

// newRand returns the seeded random source of one stream. PCG's output is
// specified, so sets are the same across Go versions and platforms.
func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// choose returns k distinct indices of [0, n) in random order (a partial
// Fisher-Yates shuffle). It panics unless 0 <= k <= n.
func choose(r *rand.Rand, n, k int) []int {
	if k < 0 || k > n {
		panic("data: choose: k out of range")
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + r.IntN(n-i)
		p[i], p[j] = p[j], p[i]
	}
	return p[:k:k]
}

package model

import (
	"runtime"
	"sync"
)

// minParallel is the smallest slice worth splitting across cores: below it
// handing work to another goroutine costs more than it saves.
const minParallel = 1 << 15

// worker pool for parallelChunks: GOMAXPROCS-1 goroutines started on first
// use, fed over an unbuffered channel so that a call allocates nothing.
var (
	poolOnce sync.Once
	poolJobs chan chunkJob
	poolSize int
)

type chunkJob struct {
	f      func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

// parallelChunks calls f on consecutive ranges that cover [0, n), in
// parallel on up to GOMAXPROCS cores when n is large, and waits for all of
// them.
func parallelChunks(n int, f func(lo, hi int)) {
	parallelParts(n, n/minParallel, f)
}

// ParallelParts calls f on up to parts consecutive ranges that cover
// [0, n), in parallel on up to GOMAXPROCS cores (the model's worker
// goroutines), and waits for all of them.
func ParallelParts(n, parts int, f func(lo, hi int)) { parallelParts(n, parts, f) }

// parallelParts calls f on up to parts consecutive ranges that cover
// [0, n), in parallel on up to GOMAXPROCS cores, and waits for all of them.
func parallelParts(n, parts int, f func(lo, hi int)) {
	poolOnce.Do(startPool)
	parts = min(poolSize+1, parts, n)
	if parts <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	size := (n + parts - 1) / parts
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		poolJobs <- chunkJob{f: f, lo: p * size, hi: min(n, (p+1)*size), wg: &wg}
	}
	f(0, size)
	wg.Wait()
}

func startPool() {
	poolSize = runtime.GOMAXPROCS(0) - 1
	poolJobs = make(chan chunkJob)
	for range poolSize {
		go func() {
			for j := range poolJobs {
				j.f(j.lo, j.hi)
				j.wg.Done()
			}
		}()
	}
}

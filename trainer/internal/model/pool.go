package model

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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
		submit(chunkJob{f: f, lo: p * size, hi: min(n, (p+1)*size), wg: &wg})
	}
	f(0, size)
	wg.Wait()
}

func startPool() {
	poolSize = runtime.GOMAXPROCS(0) - 1
	poolJobs = make(chan chunkJob)
	for range poolSize {
		go func() {
			for {
				j := nextJob()
				j.f(j.lo, j.hi)
				j.wg.Done()
			}
		}()
	}
}

// A worker that has finished a job spins for poolSpin, yielding its core
// to any other goroutine, waiting for the next one before it parks on the
// channel: a training step hands work to the pool several times within a
// millisecond, and waking a parked worker (a futex call to wake its
// thread) cost the submitting goroutine more than the work it handed over
// on small products. At most one worker spins; poolSlot holds spinMark
// while it does, and a submitter swaps its job in for the mark.
var (
	poolSlot atomic.Pointer[chunkJob]
	spinMark = new(chunkJob)
)

// poolSpin is how long an idle worker waits for a job before parking.
const poolSpin = 50 * time.Microsecond

// submit hands j to a spinning worker, else to the channel.
func submit(j chunkJob) {
	if poolSlot.Load() == spinMark && poolSlot.CompareAndSwap(spinMark, &j) {
		return
	}
	poolJobs <- j
}

// nextJob returns a worker's next job: spinning for it if no other worker
// is, then from the channel.
func nextJob() chunkJob {
	if poolSlot.CompareAndSwap(nil, spinMark) {
		// This worker is the spinner: the slot holds the mark or, once a
		// submitter swapped it, a job; nobody else changes it.
		deadline := time.Now().Add(poolSpin)
		for i := 0; ; i++ {
			if p := poolSlot.Load(); p != spinMark {
				poolSlot.Store(nil)
				return *p
			}
			if i%16 == 15 && time.Now().After(deadline) && poolSlot.CompareAndSwap(spinMark, nil) {
				break
			}
			runtime.Gosched()
		}
	}
	return <-poolJobs
}

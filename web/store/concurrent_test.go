package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrentReadersWhileWriting(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{FlushEvery: 5 * time.Millisecond, FlushRows: 50})
	cfg := testConfig(1)
	const steps = 3000
	publishRun(rec, 1, cfg, 0, 0)
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	id := rec.RunID()

	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := s.List(); err != nil {
					errs <- err
					return
				}
				r, err := s.Get(id)
				if err != nil {
					errs <- err
					return
				}
				// A snapshot is a prefix of the series: steps in order, no holes.
				for i, m := range r.Metrics {
					if want := wantMetric(1, i%2, int64(i/2+1)); !sameMetric(m, want) {
						t.Errorf("reader saw metric %d = %+v, want %+v", i, m, want)
						errs <- nil
						return
					}
				}
				reads.Add(1)
			}
		}()
	}
	for step := int64(1); step <= steps; step++ {
		for a := range cfg.Arms {
			rec.Publish(fakeBatch(1, a, step))
		}
		if step%100 == 0 {
			time.Sleep(time.Millisecond) // let writes and reads interleave
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := rec.Stats(); st.Dropped != 0 || st.Written != 2*steps {
		t.Errorf("recorder stats %+v", st)
	}
	r, err := s.Get(id)
	if err != nil || len(r.Metrics) != 2*steps {
		t.Fatalf("final run: %v", err)
	}
	if reads.Load() == 0 {
		t.Error("no read completed while writing")
	}
	t.Logf("%d snapshot reads during %d writes", reads.Load(), 2*steps)
}

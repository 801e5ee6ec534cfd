package store

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// recordRuns records n runs of steps steps each through one Recorder with
// the given limits (the last stays live) and returns the Recorder.
func recordRuns(t *testing.T, s *Store, n int, steps int64, lim Limits, onPrune func([]int64)) *Recorder {
	t.Helper()
	rec := s.NewRecorder(RecorderOptions{FlushEvery: time.Millisecond, Limits: lim, OnPrune: onPrune})
	for i := 1; i <= n; i++ {
		publishRun(rec, int64(i), testConfig(int64(i)), steps, 0)
		if err := rec.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	return rec
}

func ids(runs []RunInfo) []int64 {
	var out []int64
	for _, r := range runs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// TestPruneKeepRuns checks --keep-runs: the oldest runs go first, never
// the live one or a pinned one, and the report says so.
func TestPruneKeepRuns(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	var mu sync.Mutex
	var deleted []int64
	rec := s.NewRecorder(RecorderOptions{FlushEvery: time.Millisecond, Limits: Limits{KeepRuns: 3},
		OnPrune: func(d []int64) { mu.Lock(); deleted = append(deleted, d...); mu.Unlock() }})
	for i := 1; i <= 5; i++ {
		publishRun(rec, int64(i), testConfig(int64(i)), 5, 0)
		if err := rec.Flush(); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := s.Pin(1, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	runs, _ := s.List()
	if got := ids(runs); !slices.Equal(got, []int64{1, 4, 5}) {
		t.Errorf("kept runs %v, want [1 4 5] (1 pinned, 5 live)", got)
	}
	if !slices.Equal(deleted, []int64{2, 3}) {
		t.Errorf("OnPrune saw %v, want [2 3]", deleted)
	}
	rep := s.Pruned()
	if rep.Deleted != 2 || rep.Why != "--keep-runs 3" || rep.Last.IsZero() || rep.Over {
		t.Errorf("report %+v", rep)
	}
	for _, r := range runs {
		if (r.ID == 1) != r.Pinned {
			t.Errorf("run %d pinned = %v", r.ID, r.Pinned)
		}
	}
	// Everything pinned but the live run: nothing more can go.
	for _, id := range []int64{4} {
		if err := s.Pin(id, true); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := s.Prune(Limits{KeepRuns: 1}); err != nil || len(d) != 0 {
		t.Errorf("prune with only pinned and live runs: %v %v", d, err)
	}
	if !s.Pruned().Over {
		t.Errorf("the report does not say the store is still over its limit")
	}
	if runs, _ := s.List(); len(runs) != 3 {
		t.Errorf("%d runs left, want the 2 pinned and the live one", len(runs))
	}
	if err := s.Pin(99, true); err == nil {
		t.Errorf("pinning an unknown run succeeded")
	}
	rec.Close()
}

// TestPruneMaxBytes checks --max-store-mb: the oldest runs are deleted
// until the pages in use fit, the live and pinned runs stay.
func TestPruneMaxBytes(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := recordRuns(t, s, 6, 400, Limits{}, nil)
	defer rec.Close()
	if err := s.Pin(2, true); err != nil {
		t.Fatal(err)
	}
	full, err := s.SizeBytes()
	if err != nil {
		t.Fatal(err)
	}
	limit := full / 2
	deleted, err := s.Prune(Limits{MaxBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	size, _ := s.SizeBytes()
	runs, _ := s.List()
	got := ids(runs)
	if size > limit || len(deleted) == 0 {
		t.Errorf("after pruning to %d bytes: %d bytes, deleted %v", limit, size, deleted)
	}
	if !slices.Contains(got, 2) || !slices.Contains(got, 6) {
		t.Errorf("kept %v: the pinned run 2 and the live run 6 must stay", got)
	}
	for _, d := range deleted {
		for _, k := range got {
			if k != 2 && k < d {
				t.Errorf("run %d kept but the newer run %d deleted", k, d)
			}
		}
	}
	// A limit no deletion can meet leaves the pinned and live runs.
	if _, err := s.Prune(Limits{MaxBytes: 1}); err != nil {
		t.Fatal(err)
	}
	runs, _ = s.List()
	if got := ids(runs); !slices.Equal(got, []int64{2, 6}) {
		t.Errorf("kept %v under an impossible limit, want [2 6]", got)
	}
}

// TestDataNames lists the datasets of the kept runs.
func TestDataNames(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := recordRuns(t, s, 2, 1, Limits{}, nil)
	defer rec.Close()
	names, err := s.DataNames()
	if err != nil || len(names) == 0 {
		t.Fatalf("DataNames: %v %v", names, err)
	}
	if names[0] != testConfig(1).Data.Name {
		t.Errorf("DataNames %v, want %q", names, testConfig(1).Data.Name)
	}
}

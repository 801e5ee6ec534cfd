package external

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"
)

// TestStatsDenseAndMapAgree: the statistics kept in a slice (a declared
// training-set size) and in a map (none) answer the same.
func TestStatsDenseAndMapAgree(t *testing.T) {
	batches := []*Batch{
		{IDs: []int64{7, 3, 9}, Losses: Numbers{2, 0.5, 1}, Labels: []int32{1, 2, 3}, Preds: []int32{1, 0, 3}, TrueProb: Numbers{0.2, 0.6, 0.4}, Selected: []int32{0, 2}},
		{IDs: []int64{3, 7, 0}, Losses: Numbers{0.1, 3, 0.2}, Labels: []int32{2, 1, 0}, Preds: []int32{2, 0, 0}, TrueProb: Numbers{0.9, 0.05, 0.8}, Selected: []int32{1}, Flipped: []bool{false, true, false}},
	}
	dense, sparse := newStats(10), newStats(0)
	if dense.dense == nil || sparse.ex == nil {
		t.Fatalf("newStats(10) should keep a slice and newStats(0) a map")
	}
	for i, b := range batches {
		dense.update(b, int64(i+1))
		sparse.update(b, int64(i+1))
	}
	for _, max := range []int{0, 2, 100} {
		nd, pd := dense.dataMap(max)
		ns, ps := sparse.dataMap(max)
		if nd != 4 || ns != 4 || !reflect.DeepEqual(pd, ps) {
			t.Errorf("dataMap(%d): slice %d %+v, map %d %+v; want the same 4 examples", max, nd, pd, ns, ps)
		}
	}
	for _, id := range []int64{0, 3, 7, 9} {
		d, errD := dense.example(id)
		s, errS := sparse.example(id)
		if errD != nil || errS != nil || !reflect.DeepEqual(d, s) {
			t.Errorf("example(%d): slice %+v %v, map %+v %v", id, d, errD, s, errS)
		}
	}
	e, _ := dense.example(7)
	if e.Seen != 2 || e.Selected != 2 || e.Forgets != 1 || !e.Flipped {
		t.Errorf("example 7 = %+v: want seen 2, selected 2, forgotten once, flipped", e)
	}
	for _, id := range []int64{1, 10, -1} {
		if _, err := dense.example(id); err == nil {
			t.Errorf("example(%d) of the slice: want an error for an example never reported", id)
		}
	}
}

// BenchmarkStatsUpdate: one K = 128 batch of a shuffled 60,000-example
// training set (MNIST: an epoch of batches, each example once) into the
// per-example statistics, as every ingested batch does. The statistics
// (3.4 MB) outgrow the caches that the training process shares.
func BenchmarkStatsUpdate(b *testing.B) {
	const k, n = 128, 60000
	r := rand.New(rand.NewPCG(1, 2))
	perm := r.Perm(n)
	batches := make([]*Batch, n/k)
	for j := range batches {
		bt := &Batch{IDs: make([]int64, k), Losses: make(Numbers, k), TrueProb: make(Numbers, k),
			Labels: make([]int32, k), Preds: make([]int32, k), Selected: make([]int32, 0, 32)}
		for i := range k {
			bt.IDs[i] = int64(perm[j*k+i])
			bt.Losses[i], bt.TrueProb[i] = r.Float64()*3, r.Float64()
			bt.Labels[i], bt.Preds[i] = int32(r.IntN(10)), int32(r.IntN(10))
			if i%4 == 0 {
				bt.Selected = append(bt.Selected, int32(i))
			}
		}
		batches[j] = bt
	}
	s := newStats(n)
	for i := 0; b.Loop(); i++ {
		s.update(batches[i%len(batches)], int64(i+1))
	}
}

// TestExStatFillsACacheLine checks that one example's statistics take
// exactly one 64-byte cache line (see exStat).
func TestExStatFillsACacheLine(t *testing.T) {
	if n := unsafe.Sizeof(exStat{}); n != 64 {
		t.Errorf("exStat is %d bytes, want 64", n)
	}
	for _, n := range []int{1, 2, 1000, 60000} {
		s := newStats(n)
		if len(s.dense) != n {
			t.Fatalf("newStats(%d) keeps %d examples", n, len(s.dense))
		}
		if p := uintptr(unsafe.Pointer(&s.dense[0])); p%64 != 0 {
			t.Errorf("newStats(%d): the statistics start at %#x, not on a 64-byte boundary", n, p)
		}
		for i := range s.dense {
			if s.dense[i] != (exStat{}) {
				t.Fatalf("newStats(%d): example %d's statistics are not zero", n, i)
			}
		}
	}
}

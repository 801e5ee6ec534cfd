package trainer

import (
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// offlineArm returns a one-arm offline config on a small 2-D set.
func offlineArm(refresh, pool, hard, m int) Config {
	a := sel(ohem.Offline, m)
	a.Select.Refresh, a.Select.Pool, a.Select.Hard = refresh, pool, hard
	return withArms(plane(data.Moons), a)
}

// TestOfflineKeepsHardestOfPool scans a pool with a real network and checks
// the cache against a brute-force sort of the pool's losses, each computed
// again one example at a time.
func TestOfflineKeepsHardestOfPool(t *testing.T) {
	for _, tc := range []struct {
		name           string
		pool, hard, m  int
		dataset        string
		wantPool       int
		wantHard       int // 0: hard
		trainFirstStep bool
	}{
		{name: "moons", pool: 200, hard: 37, m: 8, dataset: data.Moons, wantPool: 200},
		{name: "pool larger than the training set", pool: 1000, hard: 500, m: 8, dataset: data.Circle, wantPool: 320, wantHard: 160},
		{name: "after training", pool: 300, hard: 75, m: 8, dataset: data.XOR, wantPool: 300, trainFirstStep: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := sel(ohem.Offline, tc.m)
			a.Select.Pool, a.Select.Hard = tc.pool, tc.hard
			cfg := withArms(plane(tc.dataset), a)
			set, err := data.Load(cfg.Data, cfg.Seed)
			if err != nil {
				t.Fatal(err)
			}
			eng, err := newSession(cfg, set, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.close()
			arm := eng.arms[0]
			if tc.trainFirstStep {
				if _, err := arm.step(eng.nextBatch(), 1, 1); err != nil {
					t.Fatal(err)
				}
				arm.offline.lastScan = -1000 // force a rescan with the trained weights
			}
			b, scanned, err := arm.offlineBatch(eng.nextBatch(), 2)
			if err != nil {
				t.Fatal(err)
			}
			if scanned != tc.wantPool {
				t.Fatalf("scanned %d, want %d", scanned, tc.wantPool)
			}
			if len(b.ids) != tc.m {
				t.Fatalf("drew %d examples, want M = %d", len(b.ids), tc.m)
			}
			pool := arm.offline.perm[:scanned]
			if len(pool) != len(uniq(pool)) {
				t.Fatal("the pool has duplicates")
			}
			// Brute force: every pool example's loss on its own, a full sort.
			losses := make([]float64, len(pool))
			g, err := arm.forward(1)
			if err != nil {
				t.Fatal(err)
			}
			logp := make([]float32, set.Classes)
			probs, preds := make([]float64, 1), make([]int32, 1)
			for i, id := range pool {
				set.TrainRowTo(g.X, id)
				if _, err := g.Run(logp); err != nil {
					t.Fatal(err)
				}
				g.Reset()
				exampleLosses(losses[i:i+1], probs, preds, logp, []int{int(set.TrainY[id])}, set.Classes, 0, 0)
				if d := math.Abs(losses[i] - arm.offline.losses[i]); d > 1e-4*(1+losses[i]) {
					t.Fatalf("pool example %d: scan loss %v, loss on its own %v", id, arm.offline.losses[i], losses[i])
				}
			}
			order := make([]int, len(pool))
			for i := range order {
				order[i] = i
			}
			// Sort by the scan's own losses (ties to the lower pool position)...
			sort.SliceStable(order, func(x, y int) bool { return arm.offline.losses[order[x]] > arm.offline.losses[order[y]] })
			var want []int32
			hard := tc.hard
			if tc.wantHard > 0 {
				hard = tc.wantHard
			}
			for _, i := range order[:hard] {
				want = append(want, int32(pool[i]))
			}
			got := slices.Clone(arm.offlineIDs())
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("cache holds %v, want the %d hardest %v", got, hard, want)
			}
			// ...and the cut agrees with the losses computed one by one.
			in := map[int32]bool{}
			for _, id := range got {
				in[id] = true
			}
			minIn, maxOut := math.Inf(1), math.Inf(-1)
			for i, id := range pool {
				if in[int32(id)] {
					minIn = min(minIn, losses[i])
				} else {
					maxOut = max(maxOut, losses[i])
				}
			}
			if minIn < maxOut-1e-4 {
				t.Fatalf("an example outside the cache (loss %v) is harder than one inside (%v)", maxOut, minIn)
			}
			for _, id := range b.ids {
				if !in[id] {
					t.Fatalf("drew example %d, which is not in the cache", id)
				}
			}
		})
	}
}

func uniq(xs []int) []int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return slices.Compact(s)
}

// TestOfflineRefreshSchedule trains an offline arm and checks that it scans
// at step 1 and then every Refresh steps, that every step trains on M
// examples from the cache and that a live change of Pool rescans.
func TestOfflineRefreshSchedule(t *testing.T) {
	cfg := offlineArm(10, 100, 20, 8)
	_, rec := run(t, cfg, 35)
	var scans []int64
	for _, b := range rec.batches(0) {
		if b.Scanned > 0 {
			scans = append(scans, b.Step)
			if b.Scanned != 100 {
				t.Errorf("step %d scanned %d, want the pool of 100", b.Step, b.Scanned)
			}
		}
		if b.K != 8 || len(b.Selected) != 8 {
			t.Errorf("step %d trained on %d of %d examples, want all of M = 8", b.Step, len(b.Selected), b.K)
		}
	}
	if want := []int64{1, 11, 21, 31}; !slices.Equal(scans, want) {
		t.Errorf("scans at steps %v, want %v", scans, want)
	}
}

package trainer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

func TestDataMapMatchesEvents(t *testing.T) {
	cfg := withArms(plane(data.Circle), sel(ohem.TopK, 8), sel(ohem.Random, 8))
	cfg.Data.LabelNoise = 0.25
	tr, rec := run(t, cfg, 45) // more than one epoch of 10 batches
	set, _ := tr.dataset()
	for arm := range 2 {
		// Recompute every statistic from the events.
		type acc struct {
			seen, sel, forgets int32
			sumL, sumP, sumP2  float64
			last               float32
			right, known       bool
		}
		want := map[int32]*acc{}
		for _, b := range rec.batches(arm) {
			for i, id := range b.IDs {
				a := want[id]
				if a == nil {
					a = &acc{}
					want[id] = a
				}
				right := b.Preds[i] == b.Labels[i]
				if a.known && a.right && !right {
					a.forgets++
				}
				a.known, a.right = true, right
				a.seen++
				a.sumL += float64(b.Losses[i])
				p := float64(b.TrueProb[i])
				a.sumP += p
				a.sumP2 += p * p
				a.last = b.Losses[i]
			}
			for _, s := range b.Selected {
				want[b.IDs[s]].sel++
			}
		}
		dm, err := tr.DataMap(arm, 0)
		if err != nil {
			t.Fatal(err)
		}
		if dm.Total != len(want) || len(dm.Points) != len(want) || dm.Step != 45 || dm.Arm != arm {
			t.Fatalf("arm %d: data map total %d points %d step %d, want %d examples at step 45", arm, dm.Total, len(dm.Points), dm.Step, len(want))
		}
		forgets := 0
		for _, p := range dm.Points {
			w := want[p.ID]
			if w == nil {
				t.Fatalf("arm %d: example %d in the map but never in a batch", arm, p.ID)
			}
			n := float64(w.seen)
			mean := w.sumP / n
			if p.Seen != w.seen || p.Selected != w.sel || p.Forgets != w.forgets || p.LastLoss != w.last {
				t.Fatalf("arm %d example %d: %+v, want seen %d selected %d forgets %d last %v", arm, p.ID, p, w.seen, w.sel, w.forgets, w.last)
			}
			if d := float64(p.MeanLoss) - w.sumL/n; d > 1e-4 || d < -1e-4 {
				t.Fatalf("arm %d example %d: mean loss %v want %v", arm, p.ID, p.MeanLoss, w.sumL/n)
			}
			if d := float64(p.Confidence) - mean; d > 1e-4 || d < -1e-4 {
				t.Fatalf("arm %d example %d: confidence %v want %v", arm, p.ID, p.Confidence, mean)
			}
			if p.Label != set.TrainY[p.ID] || p.CleanLabel != set.CleanY[p.ID] || p.Flipped != set.Flipped[p.ID] {
				t.Fatalf("arm %d example %d: labels %d/%d flipped %v", arm, p.ID, p.Label, p.CleanLabel, p.Flipped)
			}
			forgets += int(p.Forgets)
			one, err := tr.Example(arm, int(p.ID))
			if want := set.TrainX[2*p.ID : 2*p.ID+2]; err == nil && !reflect.DeepEqual(one.X, want) {
				t.Fatalf("Example(%d, %d).X = %v, want the point %v", arm, p.ID, one.X, want)
			}
			one.X = nil // the data map leaves features out
			if err != nil || !reflect.DeepEqual(one, p) {
				t.Fatalf("Example(%d, %d) = %+v, %v; data map has %+v", arm, p.ID, one, err, p)
			}
		}
		if arm == 0 && forgets == 0 {
			t.Log("no forgetting events in this run")
		}
		// Subsampling: exactly max points, deterministic, a subset.
		sub, err := tr.DataMap(arm, 50)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := tr.DataMap(arm, 50)
		if len(sub.Points) != 50 || sub.Total != len(want) || !reflect.DeepEqual(sub, again) {
			t.Fatalf("arm %d: subsample of %d points (total %d), deterministic %v", arm, len(sub.Points), sub.Total, reflect.DeepEqual(sub, again))
		}
		for i := 1; i < len(sub.Points); i++ {
			if sub.Points[i].ID <= sub.Points[i-1].ID {
				t.Fatalf("arm %d: subsample ids not increasing", arm)
			}
		}
	}
	for _, c := range []struct {
		arm, id int
		want    string
	}{{2, 0, "arm = 2"}, {-1, 0, "arm = -1"}, {0, -1, "id -1"}, {0, 320, "id 320"}} {
		if _, err := tr.Example(c.arm, c.id); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Example(%d, %d): %v, want an error naming %q", c.arm, c.id, err, c.want)
		}
	}
	if _, err := tr.DataMap(3, 10); err == nil {
		t.Error("DataMap of a missing arm accepted")
	}
}

package trainer

import (
	"context"
	"errors"
	"testing"
)

// TestLoadInRun checks a trainer that loads its data in Run: before Run it
// reports loading and refuses what needs the data; Run loads, announces
// the run with a reset config event and trains.
func TestLoadInRun(t *testing.T) {
	rec := &recorder{}
	tr, err := New(plane("circle"), Options{Sink: rec, LoadInRun: true, MaxSteps: 5})
	if err != nil {
		t.Fatal(err)
	}
	st := tr.State()
	if st.Status != StateLoading || st.Reason == "" || st.Dataset.NumTrain != 0 || st.Dataset.Generation != 0 {
		t.Fatalf("before Run: status %q, reason %q, dataset %+v; want loading with a reason and no data", st.Status, st.Reason, st.Dataset)
	}
	m := 2
	for name, err := range map[string]error{
		"Apply":        func() error { _, err := tr.Apply(Change{Arm: 0, M: &m}); return err }(),
		"DataMap":      func() error { _, err := tr.DataMap(0, 10); return err }(),
		"Example":      func() error { _, err := tr.Example(0, 0); return err }(),
		"ExampleImage": func() error { _, err := tr.ExampleImage(0); return err }(),
	} {
		if !errors.Is(err, ErrLoading) {
			t.Errorf("%s while loading: %v, want ErrLoading", name, err)
		}
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) == 0 {
		t.Fatal("no events")
	}
	first, ok := rec.events[0].(*ConfigEvent)
	if !ok || !first.Reset || first.Version != 2 {
		t.Fatalf("first event %#v, want the reset config event of version 2 (1 was the loading state's)", rec.events[0])
	}
	if n := len(rec.batches(0)); n != 5 {
		t.Errorf("%d batches, want 5", n)
	}
	if st := tr.State(); st.Dataset.NumTrain == 0 || st.Dataset.Generation != 1 || st.Step != 5 {
		t.Errorf("after Run: step %d, dataset %+v; want step 5, the data, generation 1", st.Step, st.Dataset)
	}
}

// TestLoadInRunResetFirst checks that a Reset made while the data loads wins:
// Run trains the reset's config, not the first one.
func TestLoadInRunResetFirst(t *testing.T) {
	rec := &recorder{}
	tr, err := New(plane("circle"), Options{Sink: rec, LoadInRun: true, MaxSteps: 3})
	if err != nil {
		t.Fatal(err)
	}
	next := plane("spiral")
	if err := tr.Reset(next); err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	cs := rec.configs()
	if len(cs) != 1 || !cs[0].Reset || cs[0].Config.Data.Name != "spiral" || cs[0].Version != 2 {
		t.Fatalf("config events %+v, want one reset to spiral at version 2", cs)
	}
	if st := tr.State(); st.Dataset.Name != "spiral" || st.Step != 3 {
		t.Errorf("after Run: dataset %q, step %d; want spiral, 3", st.Dataset.Name, st.Step)
	}
}

// TestLoadInRunFailure checks that a dataset that cannot load stops Run
// with the reason, kept in State.
func TestLoadInRunFailure(t *testing.T) {
	cfg := DefaultConfig("mnist")
	cfg.Data.Dir = t.TempDir() // no MNIST files here
	tr, err := New(cfg, Options{LoadInRun: true})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Run(context.Background())
	if err == nil {
		t.Fatal("Run: no error for a folder without MNIST")
	}
	if st := tr.State(); st.Status != StateStopped || st.Reason == "" {
		t.Errorf("after the failure: status %q, reason %q; want stopped with the reason", st.Status, st.Reason)
	}
}

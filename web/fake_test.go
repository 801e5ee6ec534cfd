package web

import (
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// fakeTrainer is a Trainer for tests: it records calls, publishes config
// events to sink like the trainer does and can be told to fail or panic.
type fakeTrainer struct {
	mu        sync.Mutex
	st        trainer.State
	ds        *data.Set
	sink      trainer.Sink
	calls     map[string]int
	resets    []trainer.Config
	changes   []trainer.Change
	applyErr  error
	panicDM   bool
	panicStep bool
}

func newFakeTrainer() *fakeTrainer {
	cfg := trainer.Config{
		Data: data.Config{Name: "circle"}, K: 32, Seed: 1,
		Arms: []trainer.ArmConfig{{Name: "topk", LR: 0.1}},
	}
	cfg.Arms[0].Select.Strategy = "topk"
	cfg.Arms[0].Select.M = 8
	ds := &data.Set{Name: "tiny", Classes: 2, Dim: 4, ImageW: 2, ImageH: 2,
		TrainX:  []float32{0, 0.5, 1, 2, 0.25, 0.25, 0.25, 0.25, 1, 1, 1, 1},
		TrainY:  []int32{0, 1, 1},
		CleanY:  []int32{0, 1, 0},
		Flipped: []bool{false, false, true},
	}
	return &fakeTrainer{
		st: trainer.State{Config: cfg, Version: 1, Status: trainer.StateRunning,
			Arms:    []trainer.ArmState{{Name: "topk"}},
			Dataset: trainer.DatasetInfo{Name: "tiny", Classes: 2, Dim: 4, ImageW: 2, ImageH: 2, NumTrain: 100, Generation: 7}},
		ds: ds, calls: map[string]int{},
	}
}

func (f *fakeTrainer) call(name string) {
	f.mu.Lock()
	f.calls[name]++
	f.mu.Unlock()
}

// total returns the number of state-changing calls made.
func (f *fakeTrainer) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, v := range f.calls {
		if k != "State" && k != "Dataset" {
			n += v
		}
	}
	return n
}

func (f *fakeTrainer) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeTrainer) Apply(ch trainer.Change) (*trainer.ConfigEvent, error) {
	f.call("Apply")
	f.mu.Lock()
	if f.applyErr != nil {
		err := f.applyErr
		f.mu.Unlock()
		return nil, err
	}
	f.changes = append(f.changes, ch)
	f.st.Version++
	var changed []string
	if ch.M != nil {
		f.st.Config.Arms[0].Select.M = *ch.M
		changed = append(changed, fmt.Sprintf("arms[%d].m", ch.Arm))
	}
	if ch.K != nil {
		f.st.Config.K = *ch.K
		changed = append(changed, "k")
	}
	ev := &trainer.ConfigEvent{Version: f.st.Version, Step: f.st.Step + 1, Config: f.st.Config, Changed: changed}
	sink := f.sink
	f.mu.Unlock()
	if sink != nil {
		sink.Publish(ev)
	}
	return ev, nil
}

func (f *fakeTrainer) Reset(cfg trainer.Config) error {
	f.call("Reset")
	f.mu.Lock()
	defer f.mu.Unlock()
	if cfg.K < 1 {
		return errors.New("k: must be at least 1")
	}
	f.resets = append(f.resets, cfg)
	f.st.Config = cfg
	f.st.Version++
	return nil
}

func (f *fakeTrainer) Pause()       { f.call("Pause") }
func (f *fakeTrainer) RequestEval() { f.call("RequestEval") }

func (f *fakeTrainer) Resume() error {
	f.call("Resume")
	return nil
}

func (f *fakeTrainer) StepOnce() error {
	f.call("StepOnce")
	if f.panicStep {
		panic("fake step exploded")
	}
	return errors.New("not paused: pause first")
}

func (f *fakeTrainer) State() trainer.State {
	f.call("State")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeTrainer) ExampleImage(id int) (image.Image, error) {
	f.call("ExampleImage")
	return f.ds.Image(id)
}

func (f *fakeTrainer) DataMap(arm, max int) (trainer.DataMap, error) {
	f.call("DataMap")
	if f.panicDM {
		panic("fake data map exploded")
	}
	return trainer.DataMap{Arm: arm, Total: 3, Points: []trainer.ExampleStats{{ID: 1, Seen: 2}}}, nil
}

func (f *fakeTrainer) Example(arm int, id int) (trainer.ExampleStats, error) {
	f.call("Example")
	if id < 0 || id >= f.ds.NumTrain() {
		return trainer.ExampleStats{}, fmt.Errorf("no training example %d: ids run from 0 to %d", id, f.ds.NumTrain()-1)
	}
	x := make([]float32, f.ds.Dim)
	f.ds.TrainRowTo(x, id)
	return trainer.ExampleStats{ID: int32(id), Seen: 3, Label: 1, X: x}, nil
}

// batchEvent makes a batch event of arm at step with K = 4 and two
// selected examples.
func batchEvent(arm int, step int64) *trainer.BatchEvent {
	return &trainer.BatchEvent{
		Arm: arm, Step: step, Version: 1, K: 4, M: 2, Strategy: "topk", Exec: "twopass",
		IDs: []int32{0, 1, 2, 1}, Labels: []int32{0, 1, 1, 1}, Preds: []int32{1, 1, 0, 1},
		Losses: []float32{0.5, 0.1, 2, 0.2}, TrueProb: []float32{0.4, 0.9, 0.1, 0.8},
		Flipped:  []bool{false, false, true, false},
		Selected: []int32{0, 2}, Weights: []float32{0.5, 0.5},
		Quantiles: [5]float32{0.1, 0.1, 0.35, 1.5, 2}, KeptShare: 2.5 / 2.8,
		BatchLoss: 0.7, SelLoss: 1.25, SelFlippedShare: 0.5,
		ExamplesSeen: 4 * step, ExamplesBackprop: 2 * step, WallSeconds: float64(step) / 100,
	}
}

package main

import (
	"slices"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

// batchRecorder is a trainer.BatchSink that records its calls.
type batchRecorder struct{ calls [][]trainer.Event }

func (b *batchRecorder) Publish(e trainer.Event) { b.calls = append(b.calls, []trainer.Event{e}) }
func (b *batchRecorder) PublishAll(evs []trainer.Event) {
	b.calls = append(b.calls, slices.Clone(evs))
}

// TestFanoutPublishAll: several events reach each sink in one call when
// the sink takes them at once (one by one otherwise), after the initial
// reset that resetFirst adds before the first event.
func TestFanoutPublishAll(t *testing.T) {
	all := &batchRecorder{}
	var one []trainer.Event
	initial := &trainer.ConfigEvent{Reset: true}
	f := fanout{&resetFirst{next: all, initial: initial}, trainer.SinkFunc(func(e trainer.Event) { one = append(one, e) })}
	evs := []trainer.Event{&trainer.BatchEvent{Step: 1}, &trainer.BatchEvent{Step: 2}}
	trainer.PublishAll(&f, evs)
	if len(all.calls) != 2 || all.calls[0][0] != trainer.Event(initial) || !slices.Equal(all.calls[1], evs) {
		t.Errorf("batch sink calls %v, want the initial reset, then both events in one call", all.calls)
	}
	if !slices.Equal(one, evs) {
		t.Errorf("plain sink got %v, want both events", one)
	}
}

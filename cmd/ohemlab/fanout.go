package main

import (
	"sync"

	"github.com/ohemlab/ohemlab/trainer"
)

// fanout publishes every event to several sinks, in order. Each sink's
// Publish must itself never block.
type fanout []trainer.Sink

// Publish hands e to every sink.
func (f fanout) Publish(e trainer.Event) {
	for _, s := range f {
		s.Publish(e)
	}
}

// PublishAll hands evs to every sink, at once where the sink can take them.
func (f fanout) PublishAll(evs []trainer.Event) {
	for _, s := range f {
		trainer.PublishAll(s, evs)
	}
}

// resetFirst makes sure the first event a sink sees is a reset config
// event: the run store starts a run on one. If the trainer's first event is
// something else, the given initial config event is published before it.
type resetFirst struct {
	next    trainer.Sink
	initial *trainer.ConfigEvent
	once    sync.Once
}

// Publish forwards e, preceded once by the initial reset when needed.
func (r *resetFirst) Publish(e trainer.Event) {
	r.once.Do(func() {
		if ce, ok := e.(*trainer.ConfigEvent); !ok || !ce.Reset {
			r.next.Publish(r.initial)
		}
	})
	r.next.Publish(e)
}

// PublishAll forwards evs, preceded once by the initial reset when needed.
func (r *resetFirst) PublishAll(evs []trainer.Event) {
	if len(evs) == 0 {
		return
	}
	r.once.Do(func() {
		if ce, ok := evs[0].(*trainer.ConfigEvent); !ok || !ce.Reset {
			r.next.Publish(r.initial)
		}
	})
	trainer.PublishAll(r.next, evs)
}

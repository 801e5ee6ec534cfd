package store

import (
	"sort"
	"testing"
	"time"

	"github.com/ohemlab/ohemlab/trainer"
)

// BenchmarkPublish measures one batch event's cost to the publisher
// including the background writes: the timer stops only after a Flush has
// committed everything. "noop" is the floor: a sink that discards.
func BenchmarkPublish(b *testing.B) {
	events := make([]*trainer.BatchEvent, 1024)
	for i := range events {
		events[i] = fakeBatch(1, i%2, int64(i/2+1))
	}
	b.Run("noop", func(b *testing.B) {
		var sink trainer.Sink = trainer.SinkFunc(func(trainer.Event) {})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink.Publish(events[i%len(events)])
		}
	})
	b.Run("recorder", func(b *testing.B) {
		s, _ := openTemp(b)
		defer s.Close()
		rec := s.NewRecorder(RecorderOptions{MaxPending: 1 << 22})
		defer rec.Close()
		rec.Publish(&trainer.ConfigEvent{Version: 1, Config: testConfig(1), Reset: true})
		b.ReportAllocs()
		step := int64(0)
		for i := 0; b.Loop(); i++ {
			e := events[i%len(events)]
			if i%2 == 0 {
				step++
			}
			e.Step = step // unique (arm, step) rows: no REPLACE shortcuts
			rec.Publish(e)
		}
		if err := rec.Flush(); err != nil {
			b.Fatal(err)
		}
		st := rec.Stats()
		b.ReportMetric(float64(st.Dropped), "dropped")
	})
}

// simulatedStep burns a fixed amount of CPU, standing in for a training
// step.
func simulatedStep(buf []float64) float64 {
	var acc float64
	for r := 0; r < 200; r++ {
		for i := range buf {
			acc += buf[i] * float64(r+i)
		}
	}
	return acc
}

// BenchmarkTrainerLoop is the overhead the README states: a simulated
// training loop (a CPU-bound step of about a millisecond and two arms'
// batch events) publishing into a no-op sink against publishing into a
// Recorder that writes every row in the background.
func BenchmarkTrainerLoop(b *testing.B) {
	buf := make([]float64, 4096)
	for i := range buf {
		buf[i] = float64(i%7) * 0.5
	}
	var sinkHole float64
	loop := func(b *testing.B, sink trainer.Sink, flush func() error) {
		step := int64(0)
		for b.Loop() {
			step++
			sinkHole += simulatedStep(buf)
			sink.Publish(fakeBatch(1, 0, step))
			sink.Publish(fakeBatch(1, 1, step))
		}
		if err := flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("noop", func(b *testing.B) {
		loop(b, trainer.SinkFunc(func(trainer.Event) {}), func() error { return nil })
	})
	b.Run("recorder", func(b *testing.B) {
		s, _ := openTemp(b)
		defer s.Close()
		rec := s.NewRecorder(RecorderOptions{})
		defer rec.Close()
		rec.Publish(&trainer.ConfigEvent{Version: 1, Config: testConfig(1), Reset: true})
		loop(b, rec, rec.Flush)
		b.ReportMetric(float64(rec.Stats().Dropped), "dropped")
	})
	_ = sinkHole
}

// BenchmarkRecorderOverhead alternates rounds of the simulated training
// loop publishing into a no-op sink and into a Recorder (which one goes
// first alternates too), so that machine noise hits both alike. It reports
// the median time per step of each and the median of the per-round ratios
// recorder/noop (1 = no overhead).
func BenchmarkRecorderOverhead(b *testing.B) {
	buf := make([]float64, 4096)
	for i := range buf {
		buf[i] = float64(i%7) * 0.5
	}
	s, _ := openTemp(b)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{})
	defer rec.Close()
	rec.Publish(&trainer.ConfigEvent{Version: 1, Config: testConfig(1), Reset: true})
	noop := trainer.SinkFunc(func(trainer.Event) {})
	const stepsPerRound = 20
	var hole float64
	step := int64(0)
	round := func(sink trainer.Sink) float64 {
		start := time.Now()
		for i := 0; i < stepsPerRound; i++ {
			step++
			hole += simulatedStep(buf)
			sink.Publish(fakeBatch(1, 0, step))
			sink.Publish(fakeBatch(1, 1, step))
		}
		return float64(time.Since(start).Nanoseconds()) / stepsPerRound
	}
	var tNoop, tRec, ratio []float64
	for i := 0; b.Loop(); i++ {
		var n, r float64
		if i%2 == 0 {
			n, r = round(noop), round(rec)
		} else {
			r, n = round(rec), round(noop)
		}
		tNoop, tRec, ratio = append(tNoop, n), append(tRec, r), append(ratio, r/n)
	}
	if err := rec.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(median(tNoop), "ns/step-noop")
	b.ReportMetric(median(tRec), "ns/step-recorder")
	b.ReportMetric(median(ratio), "ratio")
	b.ReportMetric(float64(rec.Stats().Dropped), "dropped")
	_ = hole
}

// median returns the median of v (which it sorts).
func median(v []float64) float64 {
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

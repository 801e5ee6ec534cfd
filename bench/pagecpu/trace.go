package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// traceEvent is the part of a Chromium trace event the summary reads.
type traceEvent struct {
	Name string          `json:"name"`
	Cat  string          `json:"cat"`
	Ph   string          `json:"ph"`
	Dur  float64         `json:"dur"` // µs
	TDur float64         `json:"tdur"`
	PID  int             `json:"pid"`
	TID  int             `json:"tid"`
	Args json.RawMessage `json:"args"`
}

// traceCategories are DevTools' Performance panel categories: enough to
// name what the renderer's main thread spends its tasks on.
var traceCategories = []string{
	"-*", "devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "v8.execute", "blink", "cc", "gpu",
	"disabled-by-default-devtools.timeline.frame", "blink.user_timing",
}

// traceWindow records a Chromium trace of the tab for d, writes it to path
// (loadable in DevTools' Performance panel or Perfetto) and prints, for the
// renderer's main thread, the event names that took the most time.
func traceWindow(tab context.Context, d time.Duration, path string, out io.Writer) error {
	var (
		mu     sync.Mutex
		events []json.RawMessage
	)
	done := make(chan struct{})
	lctx, lcancel := context.WithCancel(tab)
	defer lcancel()
	err := chromedp.Listen(lctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range e.Value {
				b, _ := json.Marshal(v)
				events = append(events, b)
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(done)
		}
	})
	if err != nil {
		return err
	}
	if _, err := chromedp.Call(tab, tracing.Start, tracing.StartParams{
		TransferMode: tracing.StartTransferModeReportEvents,
		TraceConfig:  &tracing.TraceConfig{IncludedCategories: traceCategories},
	}); err != nil {
		return fmt.Errorf("starting the trace: %w", err)
	}
	time.Sleep(d)
	if _, err := chromedp.Call(tab, tracing.End, cdp.Empty{}); err != nil {
		return fmt.Errorf("ending the trace: %w", err)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return fmt.Errorf("the trace did not complete within 60 s")
	}
	mu.Lock()
	defer mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	fmt.Fprint(f, "[")
	for i, e := range events {
		if i > 0 {
			fmt.Fprint(f, ",\n")
		}
		f.Write(e)
	}
	fmt.Fprintln(f, "]")
	if err := f.Close(); err != nil {
		return err
	}
	// Find the renderer main thread(s) by their thread_name metadata.
	main := map[[2]int]bool{}
	parsed := make([]traceEvent, 0, len(events))
	for _, raw := range events {
		var e traceEvent
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		parsed = append(parsed, e)
		if e.Ph == "M" && e.Name == "thread_name" {
			var a struct {
				Name string `json:"name"`
			}
			json.Unmarshal(e.Args, &a)
			if a.Name == "CrRendererMain" {
				main[[2]int{e.PID, e.TID}] = true
			}
		}
	}
	type agg struct {
		n         int
		dur, tdur float64
	}
	by := map[string]*agg{}
	for _, e := range parsed {
		if e.Ph != "X" || !main[[2]int{e.PID, e.TID}] {
			continue
		}
		a := by[e.Name]
		if a == nil {
			a = &agg{}
			by[e.Name] = a
		}
		a.n++
		a.dur += e.Dur
		a.tdur += e.TDur
	}
	names := make([]string, 0, len(by))
	for k := range by {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return by[names[i]].dur > by[names[j]].dur })
	fmt.Fprintf(out, "trace of %.0f s written to %s; renderer main thread, by event (nested events counted in each):\n", d.Seconds(), path)
	for i, k := range names {
		if i == 30 {
			break
		}
		a := by[k]
		fmt.Fprintf(out, "  %-40s %6d  wall %8.1f ms  cpu %8.1f ms\n", k, a.n, a.dur/1000, a.tdur/1000)
	}
	return nil
}

// Command pagecpu measures the dashboard's CPU cost in the browser: it
// starts `ohemlab serve` (default settings unless told otherwise) on a free
// loopback port, opens the page in one headless Chromium tab at 1280×720,
// waits for training to show, and reads Chromium's Performance.getMetrics
// TaskDuration (main-thread task time) at the start and the end of a
// window. It prints the busy seconds per wall second, and the main thread's
// CPU time (ThreadTime) per second beside it, and exits 1 when the one
// -metric names exceeds -max. On a quiet machine the two agree; while other
// processes take the cores, TaskDuration also counts the time a task waited
// for one.
//
//	go run ./bench/pagecpu                      # MNIST, default settings, 20 s
//	go run ./bench/pagecpu -seconds 30 -- --dataset moons
//
// It needs Debian's chromium (or Chrome) on PATH. The server runs on the same
// machine and competes for the same cores, so run it on a quiet machine and
// compare figures taken side by side.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"github.com/ohemlab/ohemlab/internal/banner"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pagecpu:", err)
		var over overError
		if errors.As(err, &over) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}

// overError is a measurement above the limit.
type overError struct{ got, max float64 }

func (e overError) Error() string {
	return fmt.Sprintf("page CPU %.3f s/s is over the %.3f s/s limit", e.got, e.max)
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("pagecpu", flag.ContinueOnError)
	seconds := fs.Float64("seconds", 20, "length of the measured window")
	warm := fs.Float64("warmup", 5, "seconds of training shown before the window starts")
	maxCPU := fs.Float64("max", 0.1, "largest acceptable CPU seconds per wall second")
	width := fs.Int("width", 1280, "window width")
	height := fs.Int("height", 720, "window height")
	large := fs.Bool("large", false, "large type (projector mode)")
	tracePath := fs.String("trace", "", "after the window, record a Chromium trace of 5 s to this file and print where the main thread's time went")
	metric := fs.String("metric", "task", "what -max limits: task (TaskDuration, the main thread's busy wall time) or thread (ThreadTime, its CPU time)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *metric != "task" && *metric != "thread" {
		return fmt.Errorf("-metric %q: want task or thread", *metric)
	}
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		return errors.New("no chromium, chromium-browser or google-chrome on PATH")
	}
	tmp, err := os.MkdirTemp("", "pagecpu")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// Build and start the server: the flags after -- go to `ohemlab serve`.
	bin := filepath.Join(tmp, "ohemlab")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ohemlab")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building ohemlab (run from the repository root): %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--no-store"}, fs.Args()...)...)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Wait()
	defer cancel()
	urlc := banner.WatchURL(stdout)
	var base string
	select {
	case base = <-urlc:
	case <-time.After(90 * time.Second):
		return errors.New("the server printed no URL within 90 s")
	}

	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.WindowSize(*width, *height))
	defer acancel()
	tab, tcancel := chromedp.NewContext(actx)
	defer tcancel()
	url := base
	if *large {
		url += "?large=1"
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(int64(*width), int64(*height)), chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("opening %s: %w", url, err)
	}
	wctx, wcancel := context.WithTimeout(tab, 120*time.Second)
	_, err = chromedp.Run(wctx, chromedp.Poll[chromedp.Void](`window.OHEM && OHEM.S.frames >= 10 && OHEM.S.evals[0] && OHEM.S.evals[0].length >= 1`,
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(110*time.Second)))
	wcancel()
	if err != nil {
		return fmt.Errorf("waiting for training on the page: %w", err)
	}
	if _, err := chromedp.Call(tab, performance.Enable, performance.EnableParams{}); err != nil {
		return err
	}
	time.Sleep(time.Duration(*warm * float64(time.Second)))
	m0, err := metrics(tab)
	if err != nil {
		return err
	}
	f0, _ := chromedp.Run(tab, chromedp.Evaluate[int](`OHEM.S.frames`))
	l0, _ := chromedp.Run(tab, chromedp.Evaluate[loopStats](loopJS))
	time.Sleep(time.Duration(*seconds * float64(time.Second)))
	m1, err := metrics(tab)
	if err != nil {
		return err
	}
	f1, _ := chromedp.Run(tab, chromedp.Evaluate[int](`OHEM.S.frames`))
	l1, _ := chromedp.Run(tab, chromedp.Evaluate[loopStats](loopJS))
	wall := m1["Timestamp"] - m0["Timestamp"]
	if wall <= 0 {
		return errors.New("no time passed between the two readings")
	}
	cpu := (m1["TaskDuration"] - m0["TaskDuration"]) / wall
	limited := cpu
	if *metric == "thread" {
		limited = (m1["ThreadTime"] - m0["ThreadTime"]) / wall
	}
	d := func(k string) float64 { return m1[k] - m0[k] }
	fmt.Fprintf(out, "page CPU: %.3f s/s task duration (%.2f s over %.1f s: script %.2f s, layout %.2f s, style %.2f s, other %.2f s); main-thread CPU time %.3f s/s, renderer process %.3f s/s; %d batch frames (%.1f/s)\n",
		cpu, d("TaskDuration"), wall, d("ScriptDuration"), d("LayoutDuration"), d("RecalcStyleDuration"), d("TaskOtherDuration"),
		d("ThreadTime")/wall, d("ProcessTime")/wall, f1-f0, float64(f1-f0)/wall)
	fmt.Fprintf(out, "draw loop: %d animation frames asked for (%.1f/s); draws per region (ms of script):", l1.Renders-l0.Renders, float64(l1.Renders-l0.Renders)/wall)
	for _, k := range []string{"hist", "examples", "quant", "curves", "noise", "ab", "datamap"} {
		fmt.Fprintf(out, " %s %d (%.0f)", k, l1.Draws[k]-l0.Draws[k], l1.MS[k]-l0.MS[k])
	}
	fmt.Fprintf(out, "; history loads %d\n", l1.History-l0.History)
	if *tracePath != "" {
		if err := traceWindow(tab, 5*time.Second, *tracePath, out); err != nil {
			return err
		}
	}
	if limited > *maxCPU {
		return overError{limited, *maxCPU}
	}
	return nil
}

// loopStats are the page's draw-loop counters (state.js).
type loopStats struct {
	Renders int                `json:"renders"`
	History int                `json:"history"`
	Draws   map[string]int     `json:"draws"`
	MS      map[string]float64 `json:"ms"`
}

const loopJS = `({renders: OHEM.S.renders || 0, history: OHEM.S.historyLoads || 0, draws: OHEM.S.draws || {}, ms: OHEM.S.drawMs || {}})`

// metrics reads Chromium's run-time metrics by name.
func metrics(ctx context.Context) (map[string]float64, error) {
	r, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, m := range r.Metrics {
		out[m.Name] = m.Value
	}
	return out, nil
}

package main

// Browser tests of the dashboard: the real server (through run) driven by
// Debian's chromium with chromedp. They skip when no browser is installed,
// unless E2E_REQUIRED=1. Screenshots go to the test's temp folder, and to
// docs/ when E2E_SCREENSHOTS=1 (or -e2e.docs).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ohemlab/ohemlab/internal/banner"
)

var e2eDocs = flag.Bool("e2e.docs", false, "write the browser tests' screenshots to docs/")

// e2eBrowser finds a Chromium-family browser or skips (fails when
// E2E_REQUIRED=1).
func e2eBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("E2E_REQUIRED") == "1" {
		t.Fatal("E2E_REQUIRED=1 but no chromium, chromium-browser or google-chrome is on PATH")
	}
	t.Skip("no chromium, chromium-browser or google-chrome on PATH; set E2E_REQUIRED=1 to make this a failure")
	return ""
}

// lineWriter hands every complete line written to it to a channel-free
// callback and keeps the text for failure messages.
type lineWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	part []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part = append(w.part, p...)
	for {
		i := strings.IndexByte(string(w.part), '\n')
		if i < 0 {
			break
		}
		if w.line != nil {
			w.line(string(w.part[:i]))
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// e2eServe starts `ohemlab serve` on a free loopback port with args and
// returns its base URL once /healthz answers. The server stops at cleanup.
func e2eServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urlc := make(chan string, 1)
	stdout := &lineWriter{line: func(l string) {
		if u := banner.URL(l); u != "" {
			select {
			case urlc <- u:
			default:
			}
		}
	}}
	stderr := &lineWriter{}
	done := make(chan error, 1)
	full := append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)
	go func() { done <- run(ctx, full, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15 s of cancel")
		}
	})
	var base string
	select {
	case base = <-urlc:
	case err := <-done:
		t.Fatalf("ohemlab %s exited before listening: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(full, " "), err, stdout, stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("ohemlab %s printed no URL in 60 s\nstdout:\n%s\nstderr:\n%s", strings.Join(full, " "), stdout, stderr)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "healthz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%shealthz not OK after 20 s: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// e2eChrome starts a headless browser and returns a context for its first
// tab. Everything stops at cleanup.
func e2eChrome(t *testing.T) context.Context {
	t.Helper()
	bin := e2eBrowser(t)
	tmp := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Env("TMPDIR=" + tmp),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1600, 1000),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		acancel()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return ctx
}

// tab is one browser tab with its console collected.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []string
	// allowNet lists URL parts whose failed requests are expected (a
	// rejected upload is logged by the browser as a network error).
	allowNet []string
}

// allowNetworkError expects failed requests to URLs containing part.
func (tb *tab) allowNetworkError(part string) {
	tb.mu.Lock()
	tb.allowNet = append(tb.allowNet, part)
	tb.mu.Unlock()
}

// e2eTab opens a new tab (the first call reuses the browser's first tab)
// and collects its console errors and uncaught exceptions.
func e2eTab(t *testing.T, browser context.Context, first bool) *tab {
	t.Helper()
	ctx := browser
	if !first {
		var cancel context.CancelFunc
		ctx, cancel = chromedp.NewContext(browser)
		t.Cleanup(cancel)
	}
	return e2eWatch(ctx)
}

// e2eOtherUser opens a tab in a browser context of its own (its own
// cookies and storage, like another person's browser).
func e2eOtherUser(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return e2eWatch(ctx)
}

// e2eWatch collects a tab's console errors and uncaught exceptions.
func e2eWatch(ctx context.Context) *tab {
	tb := &tab{ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				tb.mu.Lock()
				expected := false
				for _, part := range tb.allowNet {
					expected = expected || m.Source == "network" && strings.Contains(m.URL, part)
				}
				if !expected {
					tb.errs = append(tb.errs, m.String()+" at "+m.URL)
				}
				tb.mu.Unlock()
			}
		}
	}()
	return tb
}

func (tb *tab) consoleErrors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.errs...)
}

// minLimit is the least time a browser action or condition is given: the
// limits are bounds for a stuck page, not speeds, and a loaded two-core
// machine (CI) takes several times the usual time. Conditions return as
// soon as they hold, so a generous bound costs a passing test nothing.
const minLimit = 30 * time.Second

// do runs actions with a time limit (at least minLimit).
func (tb *tab) do(t *testing.T, what string, limit time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	limit = max(limit, minLimit)
	ctx, cancel := context.WithTimeout(tb.ctx, limit)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\nconsole errors: %v", what, err, tb.consoleErrors())
	}
}

// eval evaluates a JS expression and decodes its value.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JS predicate until it is truthy (for at most limit, and
// at least minLimit).
func (tb *tab) waitFor(t *testing.T, what, expr string, limit time.Duration) {
	t.Helper()
	limit = max(limit, minLimit)
	deadline := time.Now().Add(limit)
	var err error
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Until(deadline)+5*time.Second)
		_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		// A navigation (reload, link) that lands while the poll starts
		// destroys the document it runs in: poll again in the new one.
		if err == nil || !strings.Contains(err.Error(), "Cannot find context with specified id") || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("waiting for %s (%s): %v\nconsole errors: %v\npage: %s", what, expr, err, tb.consoleErrors(), tb.pageSummary())
	}
}

// pageSummary describes the page's state for failure messages.
func (tb *tab) pageSummary() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){
		const q = (s) => { const e = document.querySelector(s); return e ? e.textContent.replace(/\s+/g, ' ').trim() : '(none)'; };
		const S = window.OHEM && OHEM.S;
		return 'status: ' + q('#status') + ' | frames: ' + (S ? S.frames : '-') + ' | step: ' + (S && S.batch[0] ? S.batch[0].step : '-') +
			' | errors: ' + Array.from(document.querySelectorAll('.err')).map(e => e.textContent).filter(x => x).join('; ');
	})()`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return v
}

// inkJS counts the pixels of a canvas (or of every canvas under an element)
// that are not transparent and not white: real drawing, not a blank box.
const inkJS = `(function(sel){
  const root = document.querySelector(sel);
  if (!root) return -1;
  const cvs = root.tagName === 'CANVAS' ? [root] : Array.from(root.querySelectorAll('canvas'));
  let n = 0;
  for (const c of cvs) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i+3] > 0 && !(d[i] > 245 && d[i+1] > 245 && d[i+2] > 245)) n++;
    }
  }
  return n;
})(%q)`

func ink(t *testing.T, tb *tab, sel string) int {
	t.Helper()
	return eval[int](t, tb, fmt.Sprintf(inkJS, sel))
}

// colourJS counts the pixels of a canvas close to an RGB colour.
const colourJS = `(function(sel, r, g, b){
  const c = document.querySelector(sel);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i]-r) < 16 && Math.abs(d[i+1]-g) < 16 && Math.abs(d[i+2]-b) < 16 && d[i+3] > 200) n++;
  }
  return n;
})(%q, %d, %d, %d)`

// screenshot saves a full-page PNG under the test's temp folder and, when
// asked, to docs/NAME.
func (tb *tab) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	// Best effort: let freshly swapped-in thumbnails finish loading.
	wctx, wcancel := context.WithTimeout(ctx, 6*time.Second)
	chromedp.Run(wctx, chromedp.Poll[chromedp.Void](`Array.from(document.images).every(i => i.complete)`,
		chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	wcancel()
	// The whole page in one image: the window is made as tall as the page
	// (charts follow their panels, which keep their size), captured, and put
	// back. Chromium's beyond-the-viewport capture would catch the charts
	// mid-resize.
	chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[3]int64](`[window.innerWidth, window.innerHeight, document.documentElement.scrollHeight]`))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	var png []byte
	err = chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[2]))
	if err == nil {
		// two frames for the charts to follow, and the draw loop's next turn
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 300))))`, chromedp.EvalAwaitPromise))
	}
	if err == nil {
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1]))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	tb.save(t, name, png)
}

// save writes a screenshot under E2E_SCREENSHOT_DIR (default: the test's
// temp folder) and, when asked, to docs/.
func (tb *tab) save(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if *e2eDocs || os.Getenv("E2E_SCREENSHOTS") == "1" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setControl types a value into a control and fires change, as a person
// editing the field does.
func (tb *tab) setControl(t *testing.T, sel, value string) {
	t.Helper()
	tb.waitFor(t, sel+" enabled", fmt.Sprintf(`(el => el && !el.disabled)(document.querySelector(%q))`, sel), 10*time.Second)
	tb.do(t, "set "+sel, 10*time.Second, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function(){
		const el = document.querySelector(%q);
		el.focus();
		el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
		el.blur();
	})()`, sel, value)))
}

// upload picks a file in the CSV form and submits it. The form lives in
// the controls, which htmx swaps after a reset, so a node that vanished
// between the two steps is retried.
func (tb *tab) upload(t *testing.T, path string) {
	t.Helper()
	var err error
	for try := 0; try < 3; try++ {
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		err = chromedp.Do(ctx,
			chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{path}),
			chromedp.Click(chromedp.ID("upload-btn")),
		)
		cancel()
		if err == nil {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("uploading %s: %v", filepath.Base(path), err)
}

func noConsoleErrors(t *testing.T, tabs ...*tab) {
	t.Helper()
	for i, tb := range tabs {
		if errs := tb.consoleErrors(); len(errs) > 0 {
			t.Errorf("tab %d console errors:\n%s", i, strings.Join(errs, "\n"))
		}
	}
}

// TestE2EDashboard drives the MNIST dashboard: every region draws real
// data, M set from the UI changes the kept count, an invalid K shows the
// server's error while training goes on, a second tab stays live, and a
// saved run reopens read-only.
func TestE2EDashboard(t *testing.T) {
	start := time.Now()
	browser := e2eChrome(t)
	base := e2eServe(t, "--dataset", "mnist", "--label-noise", "0.1", "--eval-every", "25",
		"--store-dir", t.TempDir())
	t.Logf("%v: server up", time.Since(start))
	tb := e2eTab(t, browser, true)
	tb.do(t, "open the dashboard", 30*time.Second,
		chromedp.EmulateViewport(1600, 1000),
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.ID("hist-canvas")),
	)
	t.Logf("%v: page loaded", time.Since(start))
	tb.waitFor(t, "batch frames", `window.OHEM && OHEM.S.frames >= 5`, 20*time.Second)
	t.Logf("%v: frames arrive", time.Since(start))
	tb.waitFor(t, "an evaluation", `OHEM.S.evals[0] && OHEM.S.evals[0].length >= 2`, 40*time.Second)
	t.Logf("%v: two evaluations", time.Since(start))

	t.Run("regions draw real data", func(t *testing.T) {
		tb.waitFor(t, "kept count 32 of 128", `document.querySelector('#kept-count').textContent === '32 / 128'`, 10*time.Second)
		if n := ink(t, tb, "#hist-canvas"); n < 2000 {
			t.Errorf("histogram canvas has %d drawn pixels, want a histogram", n)
		}
		// kept bars are red, dropped bars grey: both colours present
		red := eval[int](t, tb, fmt.Sprintf(colourJS, "#hist-canvas", 220, 38, 38))
		grey := eval[int](t, tb, fmt.Sprintf(colourJS, "#hist-canvas", 148, 163, 184))
		if red < 50 || grey < 50 {
			t.Errorf("histogram: %d kept-colour and %d dropped-colour pixels, want both", red, grey)
		}
		share := eval[string](t, tb, `document.querySelector('#kept-share').textContent`)
		if !regexp.MustCompile(`^\d+\.\d%$`).MatchString(share) {
			t.Errorf("kept-loss share shows %q, want a percentage", share)
		}
		tb.waitFor(t, "the kept examples' thumbnails loaded", `(g => Number(g.dataset.capacity) >= 24 && g.dataset.count === String(Math.min(32, Number(g.dataset.capacity))))(document.querySelector('#gallery')) &&
			Array.from(document.querySelectorAll('#gallery .tile:not([hidden]) img')).filter(i => i.complete && i.naturalWidth === 28).length === Number(document.querySelector('#gallery').dataset.count)`, 10*time.Second)
		if n := ink(t, tb, "#quant-plot"); n < 2000 {
			t.Errorf("quantile bands: %d drawn pixels", n)
		}
		rows := eval[int](t, tb, `OHEM.S.arms[0].step.length`)
		if rows < 20 {
			t.Errorf("only %d curve rows after two evaluations", rows)
		}
		if n := ink(t, tb, "#curves-loss"); n < 2000 {
			t.Errorf("loss curves: %d drawn pixels", n)
		}
		if n := ink(t, tb, "#curves-acc"); n < 500 {
			t.Errorf("accuracy curve: %d drawn pixels", n)
		}
		// The page draws at a person's pace however fast frames come: the
		// histogram at most every 500 ms, the charts every second, the
		// gallery every three (less the loop's 120 ms of slack). A gap
		// can only grow under load, so this cannot fail by being slow.
		tb.waitFor(t, "paced draws", `OHEM.S.draws.hist >= 6 && OHEM.S.draws.quant >= 3 && OHEM.S.minGap.hist !== undefined && OHEM.S.minGap.quant !== undefined`, 20*time.Second)
		gaps := eval[map[string]float64](t, tb, `OHEM.S.minGap`)
		for k, least := range map[string]float64{"hist": 380, "quant": 880, "curves": 880, "noise": 880, "examples": 2880} {
			if g, ok := gaps[k]; ok && g < least {
				t.Errorf("region %s was drawn twice %.0f ms apart, want at least %.0f ms (draw gaps: %v)", k, g, least, gaps)
			}
		}
		// The data map and the hardest list are fetched while on screen
		// (and as they come into view), as a person scrolls to them.
		tb.do(t, "scroll to the data map", 10*time.Second, chromedp.ScrollIntoView(chromedp.ID("datamap")))
		tb.waitFor(t, "hardest-so-far rows with thumbnails", `Number(document.querySelector('#hardest').dataset.rows) >= 10 &&
			document.querySelectorAll('#hardest img.thumb').length >= 10`, 15*time.Second)
		tb.waitFor(t, "data map points", `Number(document.querySelector('#datamap-canvas').dataset.points) > 1000`, 15*time.Second)
		if n := ink(t, tb, "#datamap-canvas"); n < 3000 {
			t.Errorf("data map: %d drawn pixels", n)
		}
		if got := eval[string](t, tb, `document.querySelector('#noise-data').textContent`); got != "10.0%" {
			t.Errorf("label-noise panel says %q of labels flipped, want 10.0%%", got)
		}
		if n := ink(t, tb, "#noise-plot"); n < 500 {
			t.Errorf("noise plot: %d drawn pixels", n)
		}
		if st := eval[string](t, tb, `document.querySelector('#status').dataset.state`); st != "running" {
			t.Errorf("status banner says %q, want running", st)
		}
		// fixed-size regions: arriving frames never move the layout
		const boxes = `Array.from(document.querySelectorAll('.grid > .panel')).map(p => { const r = p.getBoundingClientRect(); return [p.id, Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)].join(':'); }).join(' ')`
		b1 := eval[string](t, tb, boxes)
		f := eval[int](t, tb, `OHEM.S.frames`)
		tb.waitFor(t, "more frames", fmt.Sprintf(`OHEM.S.frames > %d + 10`, f), 10*time.Second)
		if b2 := eval[string](t, tb, boxes); b1 != b2 {
			t.Errorf("the layout moved while frames arrived:\n%s\n%s", b1, b2)
		}
		// large type for projectors: bigger text, nothing wider than the window
		tb.do(t, "large type on", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#btn-large').click()`))
		if v := eval[bool](t, tb, `document.body.classList.contains('large') && parseFloat(getComputedStyle(document.body).fontSize) >= 18 && document.documentElement.scrollWidth <= window.innerWidth`); !v {
			t.Error("large type is off, too small or overflows the window")
		}
		tb.do(t, "large type off", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#btn-large').click()`))
		// hover on the data map shows an example's details
		tb.do(t, "hover the data map", 10*time.Second, chromedp.Evaluate[chromedp.Void](`(function(){
			const c = document.querySelector('#datamap-canvas');
			const p = OHEM.S && document.querySelector('#datamap-canvas');
			const r = c.getBoundingClientRect();
			for (let y = 10; y < r.height; y += 6) for (let x = 45; x < r.width; x += 6) {
				c.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + x, clientY: r.top + y, bubbles: true}));
				if (document.querySelector('#datamap-detail').dataset.id) return;
			}
		})()`))
		if got := eval[string](t, tb, `document.querySelector('#datamap-detail').textContent`); !strings.Contains(got, "Example #") || !strings.Contains(got, "confidence") {
			t.Errorf("data map hover shows %q, want an example's statistics", got)
		}
	})

	t.Run("M from the UI changes the kept count", func(t *testing.T) {
		tb.setControl(t, `input[data-field="m"][data-arm="0"]`, "16")
		tb.waitFor(t, "batches with 16 kept", `OHEM.S.batch[0].m === 16 && OHEM.S.batch[0].selected.length === 16 &&
			document.querySelector('#kept-count').textContent === '16 / 128' && document.querySelector('#gallery').dataset.count === '16'`, 10*time.Second)
		if r := eval[string](t, tb, `document.querySelector('output.ratio').textContent`); !strings.Contains(r, "0.125") {
			t.Errorf("ratio shows %q, want 0.125", r)
		}
		tb.waitFor(t, "a config marker on the curves", `OHEM.S.configs.some(c => !c.reset && c.changed.some(x => x.includes('m')))`, 10*time.Second)
	})

	t.Run("invalid K shows the error and training continues", func(t *testing.T) {
		before := eval[int](t, tb, `OHEM.S.batch[0].step`)
		tb.setControl(t, "#ctl-k", "0")
		tb.waitFor(t, "an error next to K", `document.querySelector('[data-err-for="k"]').textContent.length > 0`, 10*time.Second)
		msg := eval[string](t, tb, `document.querySelector('[data-err-for="k"]').textContent`)
		if !strings.Contains(strings.ToLower(msg), "k") {
			t.Errorf("error next to K is %q, want one naming K", msg)
		}
		tb.waitFor(t, "more steps", fmt.Sprintf(`OHEM.S.batch[0].step > %d + 20 && OHEM.S.batch[0].k === 128`, before), 15*time.Second)
	})

	t.Run("two tabs stay live", func(t *testing.T) {
		tb2 := e2eTab(t, browser, false)
		tb2.do(t, "open a second tab", 30*time.Second, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base))
		tb2.waitFor(t, "frames in tab 2", `window.OHEM && OHEM.S.frames >= 5`, 20*time.Second)
		f1 := eval[int](t, tb, `OHEM.S.frames`)
		f2 := eval[int](t, tb2, `OHEM.S.frames`)
		tb.waitFor(t, "tab 1 still live", fmt.Sprintf(`OHEM.S.frames > %d + 5`, f1), 10*time.Second)
		tb2.waitFor(t, "tab 2 still live", fmt.Sprintf(`OHEM.S.frames > %d + 5`, f2), 10*time.Second)
		// a change in one tab reaches the other
		tb2.setControl(t, `input[data-field="m"][data-arm="0"]`, "24")
		tb.waitFor(t, "tab 1 follows tab 2's change", `document.querySelector('input[data-field="m"][data-arm="0"]').value === '24' && OHEM.S.batch[0].selected.length === 24`, 10*time.Second)
		noConsoleErrors(t, tb2)
	})

	tb.screenshot(t, "dashboard.png")

	t.Run("saved run reopens read-only", func(t *testing.T) {
		res, err := http.Get(base + "api/runs")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusNotFound {
			t.Skip("this build serves no saved runs (GET /api/runs is 404)")
		}
		tb.waitFor(t, "a saved run in the list", `document.querySelectorAll('#runs tr[data-run]').length >= 1 || (htmx.trigger(document.body, 'ohem:runs'), false)`, 20*time.Second)
		tb.do(t, "open the run", 10*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#runs button[data-run-action="open"]').click()`))
		tb.waitFor(t, "the run's series", `OHEM.S.replay && !document.querySelector('#replay-banner').hidden && OHEM.S.arms[0] && OHEM.S.arms[0].step.length > 20 && OHEM.S.evals[0].length >= 1`, 15*time.Second)
		if d := eval[bool](t, tb, `document.querySelector('input[data-field="m"][data-arm="0"]').disabled`); !d {
			t.Error("controls are enabled while a saved run is on screen")
		}
		if n := ink(t, tb, "#curves-acc"); n < 500 {
			t.Errorf("reopened run's accuracy curve: %d drawn pixels", n)
		}
		tb.do(t, "back to live", 10*time.Second, chromedp.Click(chromedp.ID("btn-live")))
		f := eval[int](t, tb, `OHEM.S.frames`)
		tb.waitFor(t, "live again", fmt.Sprintf(`!OHEM.S.replay && OHEM.S.frames > %d + 3`, f), 15*time.Second)
	})

	t.Run("data map click pins an example", func(t *testing.T) {
		tb.do(t, "click a data map point", 10*time.Second, chromedp.Evaluate[chromedp.Void](clickPointJS))
		tb.waitFor(t, "pinned example details with its thumbnail", `(d => d.dataset.id && !d.querySelector('h3').textContent.includes('hover') && d.querySelector('img') && d.querySelector('img').complete)(document.querySelector('#datamap-detail'))`, 10*time.Second)
		ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("datamap")))
		if err != nil {
			t.Fatal(err)
		}
		tb.save(t, "datamap.png", png)
	})

	noConsoleErrors(t, tb)
}

// TestE2EAB2D runs topk against random on the two-moons set: both arms'
// curves, the A/B summary with its ratio, the decision surface with the
// kept points ringed, and a clicked data-map point.
func TestE2EAB2D(t *testing.T) {
	browser := e2eChrome(t)
	const token = "e2e-presenter-token-0123"
	base := e2eServe(t, "--dataset", "moons", "--compare", "topk,random", "--eval-every", "10", "--no-store", "--speed-cap", "100",
		"--control-token", token)
	tb := e2eTab(t, browser, true)
	tb.do(t, "open the dashboard as presenter", 30*time.Second,
		chromedp.EmulateViewport(1600, 1000),
		chromedp.Navigate(base+"?token="+token),
		chromedp.WaitVisible(chromedp.ID("hist-canvas")),
	)
	// The token leaves the address bar and the history at load (an
	// HttpOnly cookie carries it, out of reach of scripts) and the page
	// still controls.
	tb.waitFor(t, "the presenter role", `window.OHEM && OHEM.S.connected && document.querySelector('#role').textContent === 'control'`, 20*time.Second)
	if got := eval[string](t, tb, `location.href + ' ' + document.cookie + ' ' + JSON.stringify(history.state)`); strings.Contains(got, token) {
		t.Errorf("the token is still readable by the page: %s", got)
	}
	tb.waitFor(t, "both arms reach 95%", `OHEM.S.evals.length === 2 && OHEM.S.evals.every(e => e.some(x => x.acc >= 0.95))`, 60*time.Second)
	tb.waitFor(t, "the A/B ratio", `document.querySelector('#ab-ratio').dataset.ratio !== ''`, 10*time.Second)
	if n := eval[int](t, tb, `document.querySelectorAll('#ab-rows tr').length`); n != 2 {
		t.Errorf("A/B table has %d rows, want 2", n)
	}
	ratio := eval[string](t, tb, `document.querySelector('#ab-ratio').textContent`)
	if !strings.Contains(ratio, "×") || !strings.Contains(ratio, "95.0%") {
		t.Errorf("A/B ratio line is %q", ratio)
	}
	// the ratio follows the user's target
	tb.do(t, "set the target", 5*time.Second, chromedp.Evaluate[chromedp.Void](`(function(){const i=document.querySelector('#ab-target'); i.value='80'; i.dispatchEvent(new Event('input',{bubbles:true}));})()`))
	tb.waitFor(t, "the ratio at 80%", `document.querySelector('#ab-ratio').textContent.includes('80.0%')`, 5*time.Second)
	// both arm colours are on the accuracy chart
	for _, c := range [][3]int{{37, 99, 235}, {234, 88, 12}} {
		if n := eval[int](t, tb, fmt.Sprintf(colourJS, "#curves-acc canvas", c[0], c[1], c[2])); n < 30 {
			t.Errorf("accuracy chart has %d pixels of arm colour %v", n, c)
		}
	}
	// 2-D: the surface replaces the gallery, painted, with ringed points
	tb.waitFor(t, "the surface canvas shown", `OHEM.S.lastEval[0] && OHEM.S.lastEval[0].surface && !document.querySelector('.surface-box').hidden && document.querySelector('#gallery').hidden && document.querySelector('#surface-canvas').dataset.surfaceStep`, 10*time.Second)
	if n := ink(t, tb, "#surface-canvas"); n < 20000 {
		t.Errorf("surface canvas: %d drawn pixels, want a painted surface", n)
	}
	if n := eval[int](t, tb, fmt.Sprintf(colourJS, "#surface-canvas", 17, 24, 39)); n < 100 {
		t.Errorf("surface canvas: %d ring pixels, want kept points ringed", n)
	}
	tb.waitFor(t, "hardest so far refreshed", `Number((document.querySelector('#hardest .hard-count') || {textContent: '0'}).textContent.split('×')[0]) >= 3 || (htmx.trigger(document.body, 'ohem:hardest'), false)`, 10*time.Second)
	tb.screenshot(t, "ab-2d.png")

	tb.do(t, "scroll to the data map", 10*time.Second, chromedp.ScrollIntoView(chromedp.ID("datamap")))
	tb.waitFor(t, "data map points", `Number(document.querySelector('#datamap-canvas').dataset.points) > 100`, 15*time.Second)
	tb.do(t, "click a data map point", 10*time.Second, chromedp.Evaluate[chromedp.Void](clickPointJS))
	tb.waitFor(t, "pinned example details", `(d => d.dataset.id && !d.querySelector('h3').textContent.includes('hover') && d.textContent.includes('selected / seen'))(document.querySelector('#datamap-detail'))`, 10*time.Second)
	tb.waitFor(t, "the point's position", `document.querySelector('#datamap-detail').textContent.includes('position')`, 10*time.Second)

	t.Run("viewer follows the presenter", func(t *testing.T) {
		viewer := e2eOtherUser(t, browser)
		viewer.do(t, "open as viewer", 30*time.Second, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base))
		viewer.waitFor(t, "frames as viewer", `window.OHEM && OHEM.S.frames >= 3 && document.querySelector('#role').textContent === 'viewer'`, 20*time.Second)
		if n := eval[int](t, viewer, `Array.from(document.querySelectorAll('#controls input, #controls select, #controls button')).filter(e => !e.disabled).length`); n != 0 {
			t.Errorf("viewer has %d enabled controls, want none", n)
		}
		if n := eval[int](t, tb, `Array.from(document.querySelectorAll('#controls input[data-field]')).filter(e => !e.disabled).length`); n < 10 {
			t.Errorf("presenter has only %d enabled inputs", n)
		}
		tb.setControl(t, `input[data-field="m"][data-arm="0"]`, "4")
		viewer.waitFor(t, "the viewer sees M=4", `document.querySelector('input[data-field="m"][data-arm="0"]').value === '4' && OHEM.S.batch[0].selected.length === 4`, 10*time.Second)
		// the shareable link follows the config
		tb.waitFor(t, "the URL carries M=4", `new URLSearchParams(location.search).get('m') === '4' && new URLSearchParams(location.search).get('ds') === 'moons'`, 10*time.Second)
		noConsoleErrors(t, viewer)
	})

	t.Run("a shared link starts its experiment", func(t *testing.T) {
		q := eval[string](t, tb, `(function(){
			const q = new URLSearchParams(location.search);
			q.set('seed', '7');
			q.set('m', '6');
			q.set('token', '`+token+`');
			return q.toString();
		})()`)
		tb.do(t, "open the link", 30*time.Second, chromedp.Navigate(base+"?"+q))
		// The link asks first; only the click starts it.
		tb.waitFor(t, "the link's question", `!document.querySelector('#link-confirm').hidden && document.querySelector('#link-confirm-what').textContent.includes('seed=7')`, 20*time.Second)
		if seed := eval[float64](t, tb, `OHEM.S.state.config.seed`); seed == 7 {
			t.Fatalf("the link started before the click")
		}
		tb.do(t, "start the linked experiment", 10*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#btn-link-start').click()`))
		tb.waitFor(t, "the linked config in force", `OHEM.S.state && OHEM.S.state.config.seed === 7 && OHEM.S.batch[0] && OHEM.S.batch[0].selected.length === 6 &&
			document.querySelector('#ctl-seed').value === '7'`, 20*time.Second)
		// A bad link names the bad key and changes nothing.
		tb.do(t, "open a bad link", 30*time.Second, chromedp.Navigate(base+"?token="+token+"&ds=moons&lr=banana"))
		tb.waitFor(t, "the link's error is shown", `Array.from(document.querySelectorAll('[data-err-for="reset"]')).some(e => e.textContent.includes('lr'))`, 20*time.Second)
		tb.waitFor(t, "training went on with the old config", `OHEM.S.state.config.seed === 7 && OHEM.S.frames >= 2`, 20*time.Second)
	})

	t.Run("CSV upload", func(t *testing.T) {
		dir := t.TempDir()
		bad := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(bad, []byte("x,y,label\n1,2,0\n3,4\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		var good strings.Builder
		good.WriteString("x,y,label\n")
		for i := 0; i < 400; i++ {
			x, y := float64(i%20)/10-1, float64(i/20)/10-1
			lab := 0
			if x*x+y*y < 0.5 {
				lab = 1
			}
			fmt.Fprintf(&good, "%.2f,%.2f,%d\n", x, y, lab)
		}
		goodPath := filepath.Join(dir, "good.csv")
		if err := os.WriteFile(goodPath, []byte(good.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		// The page may have just cleared its series (a hello after the
		// link's navigation): wait for a batch of the current run.
		tb.waitFor(t, "a batch on the page", `OHEM.S.batch[0] && OHEM.S.batch[0].step > 0`, 20*time.Second)
		step := eval[int](t, tb, `OHEM.S.batch[0].step`)
		tb.allowNetworkError("/api/upload")
		tb.upload(t, bad)
		tb.waitFor(t, "the line-numbered error", `(m => m.classList.contains('on') && /line 3/.test(m.textContent))(document.querySelector('#upload-msg'))`, 10*time.Second)
		tb.waitFor(t, "training goes on on moons", fmt.Sprintf(`OHEM.S.batch[0].step > %d && OHEM.S.state.dataset.name === 'moons'`, step), 10*time.Second)
		tb.upload(t, goodPath)
		tb.waitFor(t, "the success message", `/400 rows, 2 features, 2 classes/.test(document.querySelector('#upload-msg').textContent)`, 10*time.Second)
		tb.waitFor(t, "training on the upload in the 2-D view", `OHEM.S.state.dataset.name.startsWith('csv') && OHEM.S.state.dataset.dim === 2 && OHEM.S.batch[0] && OHEM.S.batch[0].xy && !document.querySelector('.surface-box').hidden`, 15*time.Second)
	})

	t.Run("divergence shows why and recovers", func(t *testing.T) {
		tb.setControl(t, `input[data-field="lr"][data-arm="0"]`, "90")
		tb.waitFor(t, "the diverged banner with its reason", `(s => s.dataset.state === 'diverged' && s.querySelector('.status-reason') && s.querySelector('.status-reason').textContent.length > 5)(document.querySelector('#status'))`, 20*time.Second)
		tb.setControl(t, `input[data-field="lr"][data-arm="0"]`, "0.05")
		tb.do(t, "reset", 10*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#btn-reset').click()`))
		tb.do(t, "play", 10*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#btn-play').click()`))
		tb.waitFor(t, "running again", `document.querySelector('#status').dataset.state === 'running' && OHEM.S.batch[0] && isFinite(OHEM.S.batch[0].batch_loss)`, 20*time.Second)
	})
	noConsoleErrors(t, tb)
}

// clickPointJS hovers over the data map until a point's details show,
// then clicks there.
const clickPointJS = `(function(){
	delete document.querySelector('#datamap-detail').dataset.id;
	const c = document.querySelector('#datamap-canvas');
	const r = c.getBoundingClientRect();
	for (let y = 10; y < r.height; y += 4) for (let x = 55; x < r.width; x += 4) {
		c.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + x, clientY: r.top + y, bubbles: true}));
		if (document.querySelector('#datamap-detail').dataset.id) {
			c.dispatchEvent(new MouseEvent('click', {clientX: r.left + x, clientY: r.top + y, bubbles: true}));
			return;
		}
	}
})()`

// TestE2EDocsABMNIST makes docs/ab.png: topk against random on MNIST until
// both reach 95% test accuracy. It is slow (a minute or more), so it runs
// only when screenshots for docs/ are asked for.
func TestE2EDocsABMNIST(t *testing.T) {
	if !*e2eDocs && os.Getenv("E2E_SCREENSHOTS") != "1" {
		t.Skip("set E2E_SCREENSHOTS=1 (or -e2e.docs) to make docs/ab.png")
	}
	browser := e2eChrome(t)
	base := e2eServe(t, "--dataset", "mnist", "--compare", "topk,random", "--eval-every", "50", "--no-store")
	tb := e2eTab(t, browser, true)
	tb.do(t, "open the dashboard", 30*time.Second,
		chromedp.EmulateViewport(1600, 1000),
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.ID("hist-canvas")),
	)
	tb.waitFor(t, "both arms reach 95%", `OHEM.S.evals.length === 2 && OHEM.S.evals.every(e => e.some(x => x.acc >= 0.95))`, 420*time.Second)
	tb.waitFor(t, "the A/B ratio", `document.querySelector('#ab-ratio').dataset.ratio !== ''`, 10*time.Second)
	tb.waitFor(t, "hardest so far refreshed", `Number((document.querySelector('#hardest .hard-count') || {textContent: '0'}).textContent.split('×')[0]) >= 2 || (htmx.trigger(document.body, 'ohem:hardest'), false)`, 10*time.Second)
	tb.do(t, "let the charts settle", 5*time.Second, chromedp.Sleep(time.Second))
	t.Logf("A/B: %s", eval[string](t, tb, `document.querySelector('#ab-ratio').textContent`))
	tb.screenshot(t, "ab.png")
	noConsoleErrors(t, tb)
}

// dialogs answers a tab's JavaScript dialogs (confirm, prompt) as a person
// would: each dialog takes the next queued answer (none queued: dismiss),
// and its message is kept.
type dialogs struct {
	mu      sync.Mutex
	answers []page.HandleJavaScriptDialogParams
	seen    []string
}

func e2eDialogs(tb *tab) *dialogs {
	d := &dialogs{}
	evs := chromedp.Events(tb.ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range evs {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.seen = append(d.seen, string(ev.Type)+": "+ev.Message)
			var ans page.HandleJavaScriptDialogParams
			if len(d.answers) > 0 {
				ans, d.answers = d.answers[0], d.answers[1:]
			}
			d.mu.Unlock()
			chromedp.Call(tb.ctx, page.HandleJavaScriptDialog, ans)
		}
	}()
	return d
}

// answer queues the reply to the next dialog.
func (d *dialogs) answer(accept bool, text string) {
	d.mu.Lock()
	d.answers = append(d.answers, page.HandleJavaScriptDialogParams{Accept: accept, PromptText: text})
	d.mu.Unlock()
}

// shown returns the messages of the dialogs shown so far.
func (d *dialogs) shown() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// savedRun is a run as GET /api/runs and /api/runs/{id} describe it.
type savedRun struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Dataset string `json:"dataset"`
	Metrics []struct {
		Arm int `json:"arm"`
	} `json:"metrics"`
	Evals []struct {
		Arm          int     `json:"arm"`
		Step         int64   `json:"step"`
		TestAccuracy float64 `json:"test_accuracy"`
	} `json:"evals"`
}

// getJSONAt decodes GET base+path into v and returns the status code.
func getJSONAt(t *testing.T, base, path string, v any) int {
	t.Helper()
	res, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, b)
		}
	}
	return res.StatusCode
}

func listRuns(t *testing.T, base string) []savedRun {
	t.Helper()
	var runs []savedRun
	if code := getJSONAt(t, base, "api/runs", &runs); code != http.StatusOK {
		t.Fatalf("GET /api/runs: status %d", code)
	}
	return runs
}

// TestE2ESavedRuns drives the saved-runs region: three runs recorded by
// changing the dataset from the controls, two of them compared on one chart
// (both runs' series, legend and colours), the ticks kept across a refresh
// of the list, one renamed and one deleted from their buttons, the server's
// list agreeing each time.
func TestE2ESavedRuns(t *testing.T) {
	start := time.Now()
	browser := e2eChrome(t)
	base := e2eServe(t, "--dataset", "moons", "--eval-every", "10", "--speed-cap", "150", "--store-dir", t.TempDir())
	tb := e2eTab(t, browser, true)
	dlg := e2eDialogs(tb)
	tb.do(t, "open the dashboard", 30*time.Second,
		chromedp.EmulateViewport(1600, 1000),
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.ID("runs")),
	)
	t.Logf("%v: page loaded", time.Since(start))

	// Three runs: moons, then circle, then gauss (live), each dataset
	// change from the controls restarting training and so saving the run
	// before it.
	tb.waitFor(t, "moons evaluations", `window.OHEM && OHEM.S.state && OHEM.S.state.dataset.name === 'moons' && OHEM.S.evals[0] && OHEM.S.evals[0].length >= 3`, 20*time.Second)
	tb.setControl(t, "#ctl-dataset", "circle")
	tb.waitFor(t, "circle evaluations", `OHEM.S.state.dataset.name === 'circle' && OHEM.S.state.config.data.name === 'circle' && OHEM.S.evals[0] && OHEM.S.evals[0].length >= 3 && OHEM.S.batch[0].step >= 150`, 20*time.Second)
	tb.setControl(t, "#ctl-dataset", "gauss")
	lastReset := time.Now()
	tb.waitFor(t, "gauss training", `OHEM.S.state.dataset.name === 'gauss' && OHEM.S.batch[0] && OHEM.S.batch[0].step > 0`, 20*time.Second)
	t.Logf("%v: three runs recorded", time.Since(start))

	// The store writes about every second.
	var runs []savedRun
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		runs = listRuns(t, base)
		if len(runs) == 3 && runs[0].Status == "running" || time.Now().After(deadline) {
			break
		}
	}
	if len(runs) != 3 {
		t.Fatalf("GET /api/runs lists %d runs, want 3: %+v", len(runs), runs)
	}
	gauss, circle, moons := runs[0], runs[1], runs[2] // newest first
	for _, c := range []struct {
		r      savedRun
		ds, st string
	}{{moons, "moons", "finished"}, {circle, "circle", "finished"}, {gauss, "gauss", "running"}} {
		if c.r.Dataset != c.ds || c.r.Status != c.st || !strings.HasPrefix(c.r.Name, c.ds+" · topk") {
			t.Errorf("run %d: dataset %q, status %q, name %q; want %s, %s, named after it", c.r.ID, c.r.Dataset, c.r.Status, c.r.Name, c.ds, c.st)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	row := func(id int64) string { return fmt.Sprintf(`#runs tr[data-run="%d"]`, id) }

	// The list refreshes itself after a reset: the three runs, only the
	// gauss one live (no delete).
	tb.do(t, "scroll to the saved runs", 10*time.Second, chromedp.ScrollIntoView(chromedp.ID("runs")))
	tb.waitFor(t, "the three runs listed", fmt.Sprintf(`document.querySelectorAll('#runs tr[data-run]').length === 3 && document.querySelector('%s.live') && !document.querySelector('%s.live')`,
		row(gauss.ID), row(circle.ID)), 5*time.Second)
	// Clicks need a list that htmx does not swap under them: let the
	// refresh that follows the last reset (1.5 s) land.
	tb.do(t, "let the list settle", 5*time.Second, chromedp.Sleep(time.Until(lastReset.Add(1800*time.Millisecond))))
	tb.waitFor(t, "no refresh in flight", `!document.querySelector('#runs').classList.contains('htmx-request')`, 5*time.Second)
	listed := eval[string](t, tb, `Array.from(document.querySelectorAll('#runs tr[data-run]')).map(r => r.dataset.run + '=' + r.querySelector('.run-name').firstChild.textContent.trim() + (r.querySelector('[data-run-action="delete"]') ? '' : ' (no delete)')).join('; ')`)
	want := fmt.Sprintf("%d=%s (no delete); %d=%s; %d=%s", gauss.ID, gauss.Name, circle.ID, circle.Name, moons.ID, moons.Name)
	if listed != want {
		t.Errorf("the runs list shows\n%s\nwant\n%s", listed, want)
	}

	if w := eval[[2]int](t, tb, `[document.querySelector('#runs').scrollWidth, document.querySelector('#runs').clientWidth]`); w[0] > w[1] {
		t.Errorf("the runs list is %d px wide in a %d px region: columns are cut off", w[0], w[1])
	}
	pick := func(id int64) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(fmt.Sprintf(`#runs input.run-pick[value="%d"]`, id)))
	}
	compare := chromedp.Click(chromedp.ID("btn-compare-runs"))
	t.Run("compare needs two ticks", func(t *testing.T) {
		tb.do(t, "tick one run and compare", 10*time.Second, pick(moons.ID), compare)
		tb.waitFor(t, "the error", `document.querySelector('[data-err-for="runs"]').textContent === 'tick two runs to compare, or several seeds of one config (1 ticked)'`, 5*time.Second)
		if eval[bool](t, tb, `!!OHEM.S.replay`) {
			t.Error("a comparison opened with one run ticked")
		}
	})

	t.Run("ticks survive a refresh of the list", func(t *testing.T) {
		tb.do(t, "tick a second run", 10*time.Second, pick(circle.ID))
		tb.do(t, "refresh the list", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#runs').dataset.old = '1'; htmx.trigger(document.body, 'ohem:runs')`))
		tb.waitFor(t, "a fresh list", `document.querySelector('#runs') && !document.querySelector('#runs').dataset.old && document.querySelectorAll('#runs tr[data-run]').length === 3`, 5*time.Second)
		got := eval[string](t, tb, `Array.from(document.querySelectorAll('#runs .run-pick:checked')).map(c => c.value).join(',')`)
		if want := fmt.Sprintf("%d,%d", circle.ID, moons.ID); got != want {
			t.Errorf("after the list's refresh the ticked runs are %q, want %q", got, want)
		}
	})

	t.Run("compare two runs", func(t *testing.T) {
		// tick exactly the two (whatever the refresh kept), then compare
		tb.do(t, "tick two runs", 5*time.Second, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#runs .run-pick').forEach(c => { if (c.checked !== (c.value === '%d' || c.value === '%d')) c.click(); })`, moons.ID, circle.ID)))
		tb.do(t, "compare", 10*time.Second, compare)
		// The list's order (newest first) gives the arms: A circle, B moons.
		pair := []savedRun{circle, moons}
		var full [2]savedRun
		for i, r := range pair {
			if code := getJSONAt(t, base, fmt.Sprintf("api/runs/%d", r.ID), &full[i]); code != http.StatusOK {
				t.Fatalf("GET /api/runs/%d: status %d", r.ID, code)
			}
			if len(full[i].Metrics) < 20 || len(full[i].Evals) < 2 {
				t.Fatalf("run %d (%s) saved %d metric rows and %d evaluations, want a real run", r.ID, r.Dataset, len(full[i].Metrics), len(full[i].Evals))
			}
		}
		// The series on screen are exactly the saved runs', one arm each.
		tb.waitFor(t, "the comparison's series", fmt.Sprintf(`OHEM.S.replay && OHEM.S.replay.ids.join(',') === '%d,%d' && !document.querySelector('#replay-banner').hidden &&
			OHEM.S.arms.length === 2 && OHEM.S.arms[0].step.length === %d && OHEM.S.arms[1].step.length === %d &&
			OHEM.S.evals.length === 2 && OHEM.S.evals[0].length === %d && OHEM.S.evals[1].length === %d`,
			circle.ID, moons.ID, len(full[0].Metrics), len(full[1].Metrics), len(full[0].Evals), len(full[1].Evals)), 10*time.Second)
		if got, want := eval[string](t, tb, `document.querySelector('#replay-name').textContent`), fmt.Sprintf("#%d %s vs #%d %s", circle.ID, circle.Name, moons.ID, moons.Name); got != want {
			t.Errorf("the replay banner names %q, want %q", got, want)
		}
		// Both runs are drawn, in the two arms' colours, and named in the
		// legends.
		// Both runs are drawn on both charts, in the two arms' colours.
		const armInk = `(function(){
			const n = (sel, r, g, b) => { const c = document.querySelector(sel); if (!c) return 0; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let k = 0;
				for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]-r) < 16 && Math.abs(d[i+1]-g) < 16 && Math.abs(d[i+2]-b) < 16 && d[i+3] > 200) k++; return k; };
			return ['#curves-acc canvas', '#curves-loss canvas'].map(s => [n(s, 37, 99, 235), n(s, 234, 88, 12)]);
		})()`
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		chromedp.Run(ctx, chromedp.Poll[chromedp.Void](armInk+`.every((c, i) => c[0] >= [30, 10][i] && c[1] >= [30, 10][i])`, chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		px := eval[[2][2]int](t, tb, armInk)
		t.Logf("arm-coloured pixels: accuracy chart %v, loss chart %v", px[0], px[1])
		for i, chart := range []string{"accuracy", "loss"} {
			for a, r := range pair {
				// on the loss chart the runs' lines cross and hide each other
				if least := []int{30, 10}[i]; px[i][a] < least {
					t.Errorf("%s chart: %d pixels of arm %c's colour, want run #%d drawn", chart, px[i][a], 'A'+a, r.ID)
				}
			}
		}
		legend := eval[string](t, tb, `Array.from(document.querySelectorAll('#curves-acc .u-legend .u-series .u-label')).map(l => l.textContent).join(' | ')`)
		for i, r := range pair {
			if want := fmt.Sprintf("%c #%d topk test acc.", 'A'+i, r.ID); !strings.Contains(legend, want) {
				t.Errorf("the accuracy legend %q does not name run #%d (%q)", legend, r.ID, want)
			}
		}
		if n := eval[int](t, tb, `Array.from(document.querySelectorAll('#controls input, #controls select')).filter(e => !e.disabled).length`); n != 0 {
			t.Errorf("%d controls are enabled while saved runs are compared", n)
		}
		// The single-batch panels say that saved runs do not keep batches,
		// instead of showing the live run's last batch or waiting for one.
		const batchPanels = `[document.querySelector('#hist-caption').textContent, document.querySelector('#examples-caption').textContent, document.querySelector('#kept-count').textContent].join(' | ')`
		if got, want := eval[string](t, tb, batchPanels), "single batches are not saved | single batches are not saved | –"; got != want {
			t.Errorf("batch panels of a saved-run comparison read %q, want %q", got, want)
		}
		// The live run's per-example panels are not shown as the saved runs'.
		const perExample = `['#datamap', '#hardest'].map(s => { const p = document.querySelector(s); const body = Array.from(p.children).filter(c => c.tagName !== 'H2'); return body.every(c => getComputedStyle(c).visibility === 'hidden') && getComputedStyle(p, '::after').content.includes('not per-example statistics'); })`
		if got := eval[[]bool](t, tb, perExample); len(got) != 2 || !got[0] || !got[1] {
			t.Errorf("data map and hardest-so-far panels during a comparison: hidden with a note = %v, want [true true]", got)
		}
		tb.screenshot(t, "runs-compare.png")
		f := eval[int](t, tb, `OHEM.S.frames`)
		tb.do(t, "back to live", 10*time.Second, chromedp.Click(chromedp.ID("btn-live")))
		tb.waitFor(t, "live again", fmt.Sprintf(`!OHEM.S.replay && OHEM.S.frames > %d + 3 && OHEM.S.arms.length === 1`, f), 15*time.Second)
		tb.waitFor(t, "the batch panels live again", `document.querySelector('#hist-caption').textContent.startsWith('arm A · step ')`, 10*time.Second)
	})

	t.Run("one run opened is named in the legends", func(t *testing.T) {
		// The live view has one arm too: the legends must still change.
		const legends = `['#curves-acc', '#noise-plot'].map(s => Array.from(document.querySelectorAll(s + ' .u-legend .u-series:not(:first-child) .u-label')).map(l => l.textContent).join(' | ')).join(' / ')`
		tb.do(t, "open the moons run", 10*time.Second, chromedp.Click(chromedp.CSS(row(moons.ID)+` button[data-run-action="open"]`)))
		want := fmt.Sprintf("A #%d topk test acc. / A #%d topk kept flipped (avg) | flipped in data", moons.ID, moons.ID)
		tb.waitFor(t, "the run's series", fmt.Sprintf(`OHEM.S.replay && OHEM.S.replay.ids.join(',') === '%d' && OHEM.S.arms.length === 1 && OHEM.S.arms[0].step.length > 20`, moons.ID), 10*time.Second)
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		chromedp.Run(ctx, chromedp.Poll[chromedp.Void](legends+` === `+strconv.Quote(want), chromedp.WithPollingTimeout(3*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		if got := eval[string](t, tb, legends); got != want {
			t.Errorf("with run #%d open the legends read %q, want %q", moons.ID, got, want)
		}
		// The greyed controls show the saved run's own config, not the live run's.
		if got := eval[string](t, tb, `[document.querySelector('#ctl-dataset').value, document.querySelector('#ctl-dataset').disabled].join(' ')`); got != "moons true" {
			t.Errorf("with the moons run open the dataset control reads %q, want the run's own \"moons\", disabled", got)
		}
		tb.do(t, "back to live", 10*time.Second, chromedp.Click(chromedp.ID("btn-live")))
		tb.waitFor(t, "live again, legends too", `!OHEM.S.replay && OHEM.S.arms.length === 1 && `+legends+` === 'A topk test acc. / A topk kept flipped (avg) | flipped in data'`, 15*time.Second)
		tb.waitFor(t, "the live config back in the controls", `document.querySelector('#ctl-dataset').value === 'gauss' && !document.querySelector('#ctl-dataset').disabled`, 10*time.Second)
	})

	t.Run("rename", func(t *testing.T) {
		const name = "moons baseline – first try"
		dlg.answer(true, name)
		tb.do(t, "rename the moons run", 10*time.Second, chromedp.Click(chromedp.CSS(row(moons.ID)+` button[data-run-action="rename"]`)))
		tb.waitFor(t, "the new name in the list", fmt.Sprintf(`(r => r && r.querySelector('.run-name').textContent.trim() === %q)(document.querySelector('%s'))`, name, row(moons.ID)), 10*time.Second)
		if s := dlg.shown(); len(s) != 1 || !strings.HasPrefix(s[0], "prompt: ") || !strings.Contains(s[0], fmt.Sprintf("#%d", moons.ID)) {
			t.Errorf("dialogs shown: %q, want one prompt naming run #%d", s, moons.ID)
		}
		got := map[int64]string{}
		for _, r := range listRuns(t, base) {
			got[r.ID] = r.Name
		}
		if got[moons.ID] != name || got[circle.ID] != circle.Name || got[gauss.ID] != gauss.Name {
			t.Errorf("GET /api/runs names after the rename: %v, want %d renamed to %q and the others unchanged", got, moons.ID, name)
		}
	})

	t.Run("pin", func(t *testing.T) {
		// A pinned run is never deleted to keep the store within its
		// limits: Pin, then Unpin, from the panel.
		tb.do(t, "pin the moons run", 10*time.Second, chromedp.Click(chromedp.CSS(row(moons.ID)+` button[data-run-action="pin"]`)))
		tb.waitFor(t, "the pin in the list", fmt.Sprintf(`(r => r && r.querySelector('.pin-badge') && r.querySelector('button[data-run-action="pin"]').dataset.pinned === 'true')(document.querySelector('%s'))`, row(moons.ID)), 10*time.Second)
		pinned := func() bool {
			var r struct {
				Pinned bool `json:"pinned"`
			}
			if code := getJSONAt(t, base, fmt.Sprintf("api/runs/%d", moons.ID), &r); code != 200 {
				t.Fatalf("GET run %d: %d", moons.ID, code)
			}
			return r.Pinned
		}
		if !pinned() {
			t.Errorf("the server does not have run %d pinned", moons.ID)
		}
		tb.do(t, "unpin it", 10*time.Second, chromedp.Click(chromedp.CSS(row(moons.ID)+` button[data-run-action="pin"]`)))
		tb.waitFor(t, "the pin gone", fmt.Sprintf(`(r => r && !r.querySelector('.pin-badge'))(document.querySelector('%s'))`, row(moons.ID)), 10*time.Second)
		if pinned() {
			t.Errorf("run %d still pinned after Unpin", moons.ID)
		}
	})

	t.Run("delete", func(t *testing.T) {
		del := chromedp.Click(chromedp.CSS(row(circle.ID) + ` button[data-run-action="delete"]`))
		// Cancelling the confirmation keeps the run.
		dlg.answer(false, "")
		tb.do(t, "delete, then cancel", 10*time.Second, del, chromedp.Sleep(300*time.Millisecond))
		if n := len(listRuns(t, base)); n != 3 {
			t.Fatalf("after a cancelled delete the server lists %d runs, want 3", n)
		}
		dlg.answer(true, "")
		tb.do(t, "delete, and confirm", 10*time.Second, del)
		tb.waitFor(t, "the run gone from the list", fmt.Sprintf(`!document.querySelector('%s') && document.querySelector('#runs').dataset.count === '2' && document.querySelector('%s') && document.querySelector('%s')`,
			row(circle.ID), row(moons.ID), row(gauss.ID)), 10*time.Second)
		if s := dlg.shown(); len(s) != 3 || !strings.HasPrefix(s[2], "confirm: ") || !strings.Contains(s[2], fmt.Sprintf("#%d", circle.ID)) {
			t.Errorf("dialogs shown: %q, want the last to confirm deleting run #%d", s, circle.ID)
		}
		var ids []string
		for _, r := range listRuns(t, base) {
			ids = append(ids, fmt.Sprintf("%d=%s", r.ID, r.Name))
		}
		if got, want := strings.Join(ids, "; "), fmt.Sprintf("%d=%s; %d=%s", gauss.ID, gauss.Name, moons.ID, "moons baseline – first try"); got != want {
			t.Errorf("GET /api/runs after the delete: %s, want %s", got, want)
		}
		var gone savedRun
		if code := getJSONAt(t, base, fmt.Sprintf("api/runs/%d", circle.ID), &gone); code != http.StatusNotFound {
			t.Errorf("GET /api/runs/%d after its delete: status %d, want 404", circle.ID, code)
		}
		if msg := eval[string](t, tb, `document.querySelector('[data-err-for="runs"]').textContent`); msg != "" {
			t.Errorf("the runs region shows the error %q", msg)
		}
	})

	noConsoleErrors(t, tb)
	t.Logf("%v: done", time.Since(start))
}

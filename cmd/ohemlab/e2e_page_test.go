package main

// Browser tests of what a person sees on the page: chart sizes at the
// window sizes of a laptop, a projector (large type) and a phone, also
// after a strategy switch and a second arm; config-change markers that
// name the field and both values; the history after a reload equal to
// /api/history's; a read-only viewer with no enabled control; the chart
// tools and keys.

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/chromedp/cdproto/input"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chartSize is one chart as OHEM.chartSizes() measures it.
type chartSize struct {
	Chart  string `json:"chart"`
	W      int    `json:"w"`
	H      int    `json:"h"`
	PanelW int    `json:"panelW"`
}

// layoutJS reports the charts' sizes, the page's width against the
// window's and the distinct left edges of the panels (1 = one column).
const layoutJS = `JSON.stringify({
	charts: OHEM.chartSizes(),
	scrollW: document.documentElement.scrollWidth,
	innerW: window.innerWidth,
	columns: new Set(Array.from(document.querySelectorAll('.grid > .panel')).map(p => Math.round(p.getBoundingClientRect().left))).size,
})`

type layout struct {
	Charts  []chartSize `json:"charts"`
	ScrollW int         `json:"scrollW"`
	InnerW  int         `json:"innerW"`
	Columns int         `json:"columns"`
}

// checkCharts sizes the window, lets every chart follow, and checks each
// chart against its panel: at least minH px tall and minShare of the
// panel's width (phone: at least minW px wide, one column, no sideways
// scrolling).
func checkCharts(t *testing.T, tb *tab, what string, w, h int, minH int, minShare float64, phone bool) layout {
	t.Helper()
	tb.do(t, "window "+what, 10*time.Second, chromedp.EmulateViewport(int64(w), int64(h)))
	// Wait until the sizes hold still over two animation frames' worth of
	// polls: ResizeObserver redraws come a frame after the resize.
	var l layout
	var last string
	for deadline := time.Now().Add(5 * time.Second); ; {
		s := eval[string](t, tb, layoutJS)
		if s == last || time.Now().After(deadline) {
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				t.Fatal(err)
			}
			break
		}
		last = s
		time.Sleep(250 * time.Millisecond)
	}
	want := map[string]bool{"hist": true, "quant": true, "noise": true, "loss": true, "acc": true, "datamap": true}
	for _, c := range l.Charts {
		delete(want, c.Chart)
		if c.H < minH {
			t.Errorf("%s: chart %s is %d×%d px, want at least %d px tall", what, c.Chart, c.W, c.H, minH)
		}
		if phone {
			if c.W < 100 {
				t.Errorf("%s: chart %s is %d×%d px, want at least 100 px wide", what, c.Chart, c.W, c.H)
			}
		} else if float64(c.W) < minShare*float64(c.PanelW) {
			t.Errorf("%s: chart %s is %d px wide in a %d px panel, want at least %.0f%%", what, c.Chart, c.W, c.PanelW, 100*minShare)
		}
	}
	for c := range want {
		t.Errorf("%s: chart %s not on the page", what, c)
	}
	if l.ScrollW > l.InnerW {
		t.Errorf("%s: the page is %d px wide in a %d px window: it scrolls sideways", what, l.ScrollW, l.InnerW)
	}
	if phone && l.Columns != 1 {
		t.Errorf("%s: panels in %d columns, want one", what, l.Columns)
	}
	t.Logf("%s: %v", what, l.Charts)
	return l
}

func setLarge(t *testing.T, tb *tab, on bool) {
	t.Helper()
	tb.do(t, "large type", 5*time.Second, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.body.classList.contains('large') !== %v && document.querySelector('#btn-large').click()`, on)))
}

// TestE2EPage drives one moons run with label noise as presenter and as a
// read-only viewer.
func TestE2EPage(t *testing.T) {
	start := time.Now()
	browser := e2eChrome(t)
	const token = "e2e-page-token-0123456789"
	base := e2eServe(t, "--dataset", "moons", "--label-noise", "0.1", "--eval-every", "10", "--speed-cap", "40",
		"--store-dir", t.TempDir(), "--control-token", token)
	tb := e2eTab(t, browser, true)
	tb.do(t, "open the dashboard as presenter", 30*time.Second,
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(base+"?token="+token),
		chromedp.WaitVisible(chromedp.ID("hist-canvas")),
	)
	tb.waitFor(t, "evaluations", `window.OHEM && OHEM.S.evals[0] && OHEM.S.evals[0].length >= 3 && OHEM.S.role === 'control'`, 30*time.Second)
	t.Logf("%v: running", time.Since(start))

	t.Run("charts fill their panels", func(t *testing.T) {
		checkCharts(t, tb, "1440×900", 1440, 900, 120, 0.4, false)
		tb.screenshot(t, "laptop.png")
		checkCharts(t, tb, "1280×720", 1280, 720, 120, 0.4, false)
		checkCharts(t, tb, "1920×1080", 1920, 1080, 120, 0.4, false)
		setLarge(t, tb, true)
		checkCharts(t, tb, "1280×720 large type", 1280, 720, 120, 0.4, false)
		checkCharts(t, tb, "1920×1080 large type", 1920, 1080, 120, 0.4, false)
		setLarge(t, tb, false)
		checkCharts(t, tb, "390×844 phone", 390, 844, 100, 0, true)
		checkCharts(t, tb, "1280×720 again", 1280, 720, 120, 0.4, false)
	})

	t.Run("markers name the field and both values", func(t *testing.T) {
		tb.setControl(t, `input[data-field="m"][data-arm="0"]`, "4")
		tb.waitFor(t, "an M marker on every time chart", `['quant', 'loss', 'acc', 'noise'].every(k => (OHEM.plots[k].u.root.dataset.markers || '').includes('M 8→4'))`, 10*time.Second)
		tb.setControl(t, `select[data-field="strategy"][data-arm="0"]`, "threshold")
		tb.waitFor(t, "the strategy marker", `['quant', 'loss', 'acc', 'noise'].every(k => (OHEM.plots[k].u.root.dataset.markers || '').includes('strategy topk→threshold'))`, 10*time.Second)
		tb.waitFor(t, "the arm heading follows the strategy", `document.querySelector('#controls fieldset[data-arm="0"] .arm-name').textContent === 'threshold'`, 5*time.Second)
		checkCharts(t, tb, "1280×720 after a strategy switch", 1280, 720, 120, 0.4, false)
		// The projector view: large type at 1280×720, the label-noise trap
		// and the learning curves with their markers.
		setLarge(t, tb, true)
		checkCharts(t, tb, "1280×720 large type after a strategy switch", 1280, 720, 120, 0.4, false)
		shotViewport(t, tb, "projector.png", "#noise")
		setLarge(t, tb, false)
		// Markers stack instead of overprinting: two changes at nearly the
		// same step sit in different rows.
		placed := eval[string](t, tb, `JSON.stringify(OHEM.placeMarkers([{x: 100, text: 'M 8→4'}, {x: 104, text: 'strategy topk→threshold'}], 600, s => 7 * s.length, 6).map(p => p.row))`)
		if placed != "[0,1]" {
			t.Errorf("two close markers placed in rows %s, want [0,1]", placed)
		}
	})

	t.Run("a rejected value reverts and says why", func(t *testing.T) {
		tb.setControl(t, `input[data-field="m"][data-arm="0"]`, "200")
		tb.waitFor(t, "the error next to M", `document.querySelector('[data-err-for="m"][data-arm="0"]').textContent.length > 0`, 10*time.Second)
		if v := eval[string](t, tb, `document.querySelector('input[data-field="m"][data-arm="0"]').value`); v != "4" {
			t.Errorf("after a rejected M=200 the field shows %q, want the value in force, 4", v)
		}
	})

	t.Run("adding arm B", func(t *testing.T) {
		tb.do(t, "add arm B", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#btn-ab').click()`))
		tb.waitFor(t, "two arms evaluated", `OHEM.S.evals.length === 2 && OHEM.S.evals[1].length >= 2 && document.querySelectorAll('#controls fieldset.arm').length === 2`, 30*time.Second)
		checkCharts(t, tb, "1280×720 with arm B", 1280, 720, 120, 0.4, false)
		setLarge(t, tb, true)
		checkCharts(t, tb, "1280×720 large type with arm B", 1280, 720, 120, 0.4, false)
		setLarge(t, tb, false)
	})

	t.Run("history after a reload equals /api/history", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			tb.do(t, "reload", 20*time.Second, chromedp.Reload())
			tb.waitFor(t, "the history loaded", `window.OHEM && OHEM.S.historyLoads >= 1 && OHEM.S.frames >= 2`, 20*time.Second)
			// Training goes on: every evaluation the server holds up to the
			// page's latest must be on the page, once, in order.
			got := evalAsync(t, tb, `fetch('/api/history').then(r => r.json()).then(h => {
				// Up to the latest evaluation both sides have (training goes on).
				const last = OHEM.S.evals.map((l, a) => Math.min(l.length ? l[l.length - 1].step : 0, Math.max(0, ...(h.evals || []).filter(e => (e.arm || 0) === a).map(e => e.step))));
				const want = (h.evals || []).filter(e => e.step <= last[e.arm || 0]).map(e => (e.arm || 0) + ':' + e.step).sort().join(' ');
				const have = OHEM.S.evals.flatMap((l, a) => l.map(e => a + ':' + e.step)).filter(x => true);
				const haveUpTo = have.filter(x => { const [a, s] = x.split(':').map(Number); return s <= last[a]; }).sort().join(' ');
				const cfgWant = (h.configs || []).length, cfgHave = OHEM.S.configs.length;
				return JSON.stringify({same: want === haveUpTo, want: want.split(' ').length, have: haveUpTo.split(' ').length, dup: new Set(have).size !== have.length, cfgWant, cfgHave, detail: want === haveUpTo ? '' : 'server: ' + want + ' page: ' + haveUpTo});
			})`)
			var r struct {
				Same             bool
				Want, Have       int
				Dup              bool
				CfgWant, CfgHave int
				Detail           string
			}
			if err := json.Unmarshal([]byte(got), &r); err != nil {
				t.Fatal(err)
			}
			if !r.Same || r.Dup || r.CfgHave < r.CfgWant {
				t.Errorf("reload %d: the page has %d evaluations (duplicates: %v) and %d config changes; /api/history has %d evaluations up to the same steps and %d config changes\n%s", i, r.Have, r.Dup, r.CfgHave, r.Want, r.CfgWant, r.Detail)
			}
		}
	})

	t.Run("chart tools", func(t *testing.T) {
		tb.do(t, "window", 5*time.Second, chromedp.EmulateViewport(1280, 720))
		tb.waitFor(t, "charts with data", `OHEM.plots.loss && OHEM.plots.loss.u.data[0].length > 20`, 10*time.Second)
		// hover: the legend shows a value for every series
		vals := eval[string](t, tb, `(function(){
			const u = OHEM.plots.loss.u; const r = u.over.getBoundingClientRect();
			u.over.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width * 0.8, clientY: r.top + r.height / 2, bubbles: true}));
			return Array.from(u.root.querySelectorAll('.u-legend .u-series .u-value')).map(v => v.textContent).join('|');
		})()`)
		if strings.Count(vals, "|") < 4 || strings.Contains(vals, "--") {
			t.Errorf("hovering the loss chart shows the values %q, want one per series", vals)
		}
		// drag to zoom: the zoom holds while data arrives; double-click resets
		box := eval[[4]float64](t, tb, `(function(){
			const o = OHEM.plots.loss.u.over; o.scrollIntoView({block: 'center'});
			const r = o.getBoundingClientRect(); return [r.left, r.top, r.width, r.height];
		})()`)
		y := box[1] + box[3]/2
		tb.do(t, "drag over the loss chart", 10*time.Second,
			chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, box[0]+box[2]*0.2, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.3, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.4, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, box[0]+box[2]*0.4, y, chromedp.ButtonLeft))
		zmax := eval[float64](t, tb, `OHEM.plots.loss.u.scales.x.max`)
		if last := eval[float64](t, tb, `(d => d[d.length - 1])(OHEM.plots.loss.u.data[0])`); zmax >= last {
			t.Fatalf("a drag over the loss chart did not zoom: x up to %v of %v", zmax, last)
		}
		f := eval[int](t, tb, `OHEM.S.frames`)
		tb.waitFor(t, "more data", fmt.Sprintf(`OHEM.S.frames > %d + 10`, f), 10*time.Second)
		tb.waitFor(t, "the loss chart redrawn", `OHEM.plots.loss.u.data[0][OHEM.plots.loss.u.data[0].length - 1] > `+fmt.Sprint(zmax), 10*time.Second)
		if got := eval[float64](t, tb, `OHEM.plots.loss.u.scales.x.max`); got != zmax {
			t.Errorf("after a drag-zoom to x ≤ %v new data moved the view to %v", zmax, got)
		}
		tb.do(t, "double-click", 5*time.Second, chromedp.Evaluate[chromedp.Void](`OHEM.plots.loss.u.over.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))`))
		if got := eval[float64](t, tb, `OHEM.plots.loss.u.scales.x.max`); got <= zmax {
			t.Errorf("double-click left the view at x ≤ %v", got)
		}
		// log/linear: the loss axis switches and says so
		tb.do(t, "linear", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#curves-loss .chart-bar [data-tool=log]').click()`))
		tb.waitFor(t, "a linear loss axis", `OHEM.plots.loss.u.scales.y.distr === 1 && OHEM.plots.quant.u.scales.y.distr === 1`, 5*time.Second)
		tb.do(t, "log", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#curves-loss .chart-bar [data-tool=log]').click()`))
		tb.waitFor(t, "a log loss axis", `OHEM.plots.loss.u.scales.y.distr === 3`, 5*time.Second)
		// CSV and PNG downloads: files with the chart's data and image
		got := evalAsync(t, tb, `new Promise(res => {
			const made = [];
			const orig = URL.createObjectURL;
			URL.createObjectURL = (b) => { made.push(b); return orig(b); };
			document.querySelector('#curves-acc .chart-bar [data-tool=csv]').click();
			document.querySelector('#curves-acc .chart-bar [data-tool=png]').click();
			setTimeout(async () => { URL.createObjectURL = orig; res(made.length === 2 ? made[0].type + ' ' + (await made[0].text()).split('\n')[0] + ' / ' + made[1].type + ' ' + made[1].size : 'made ' + made.length); }, 1500);
		})`)
		if !strings.HasPrefix(got, "text/csv step,A ") || !strings.Contains(got, "image/png") {
			t.Errorf("accuracy chart downloads: %q, want a CSV with a header and a PNG", got)
		}
		for _, c := range []struct{ chart, header string }{{"hist", "example,loss,kept"}, {"datamap", "example,label,clean_label"}} {
			got := evalAsync(t, tb, `new Promise(res => {
				const made = [];
				const orig = URL.createObjectURL;
				URL.createObjectURL = (b) => { made.push(b); return orig(b); };
				document.querySelector('.chart-bar[data-chart=`+c.chart+`] [data-tool=csv]').click();
				document.querySelector('.chart-bar[data-chart=`+c.chart+`] [data-tool=png]').click();
				setTimeout(async () => { URL.createObjectURL = orig; res(made.length === 2 ? made[0].type + ' ' + (await made[0].text()).split('\n').length + ' ' + (await made[0].text()).split('\n')[0] + ' / ' + made[1].type : 'made ' + made.length); }, 1500);
			})`)
			if !strings.Contains(got, "text/csv") || !strings.Contains(got, c.header) || !strings.Contains(got, "image/png") {
				t.Errorf("%s downloads: %q, want a CSV starting %q and a PNG", c.chart, got, c.header)
			}
		}
		// keys: Space pauses, S steps, ? shows the help
		tb.do(t, "Space", 5*time.Second, chromedp.KeyEvent(" "))
		tb.waitFor(t, "paused, Step enabled", `OHEM.S.state.status === 'paused' && !document.querySelector('#btn-step').disabled && document.querySelector('#btn-play').disabled === false`, 10*time.Second)
		// The page may not have drawn the last batch before the pause yet
		// (batch frames are paced): wait until it shows the server's step.
		var st struct{ Step int }
		if code := getJSONAt(t, base, "api/state", &st); code != http.StatusOK {
			t.Fatalf("GET /api/state: %d", code)
		}
		step := st.Step
		tb.waitFor(t, "the last batch before the pause", fmt.Sprintf(`OHEM.S.batch[0].step === %d`, step), 10*time.Second)
		tb.do(t, "S", 5*time.Second, chromedp.KeyEvent("s"))
		tb.waitFor(t, "one more step", fmt.Sprintf(`OHEM.S.batch[0].step === %d`, step+1), 10*time.Second)
		tb.do(t, "?", 5*time.Second, chromedp.KeyEvent("?"))
		tb.waitFor(t, "the key help", `!document.querySelector('#keys-help').hidden`, 5*time.Second)
		tb.do(t, "? again, Space", 5*time.Second, chromedp.KeyEvent("?"), chromedp.KeyEvent(" "))
		tb.waitFor(t, "running, Step disabled", `OHEM.S.state.status === 'running' && document.querySelector('#btn-step').disabled`, 10*time.Second)
	})

	t.Run("a read-only viewer has no enabled control", func(t *testing.T) {
		// another person's browser: no control cookie
		viewer := e2eOtherUser(t, browser)
		viewer.do(t, "open as viewer", 30*time.Second, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(base))
		viewer.waitFor(t, "frames as viewer", `window.OHEM && OHEM.S.frames >= 3 && OHEM.S.role === 'viewer'`, 20*time.Second)
		viewer.waitFor(t, "a saved run listed", `document.querySelectorAll('#runs tr[data-run]').length >= 1 || (htmx.trigger(document.body, 'ohem:runs'), false)`, 20*time.Second)
		const enabled = `Array.from(document.querySelectorAll('#controls input, #controls select, #controls button, #controls textarea, #runs [data-run-action=rename], #runs [data-run-action=delete]')).filter(e => !e.disabled).map(e => e.id || e.dataset.field || e.dataset.runAction || e.tagName)`
		if got := eval[[]string](t, viewer, enabled); len(got) != 0 {
			t.Errorf("the viewer has enabled controls: %v", got)
		}
		if !eval[bool](t, viewer, `!document.querySelector('#viewer-banner').hidden && document.querySelector('#viewer-banner').getBoundingClientRect().height > 20`) {
			t.Error("the viewer sees no read-only banner")
		}
		// Phone: charts first, controls folded, the status visible.
		checkCharts(t, viewer, "viewer 390×844", 390, 844, 100, 0, true)
		if !eval[bool](t, viewer, `(() => { const g = document.querySelector('.grid').getBoundingClientRect(), c = document.querySelector('#controls').getBoundingClientRect(), s = document.querySelector('#status').getBoundingClientRect();
			return g.top < c.top && c.height < 80 && s.width > 200 && s.height > 20; })()`) {
			t.Error("viewer on a phone: want the charts above folded controls and the status visible")
		}
		shotViewport(t, viewer, "phone.png", "")
		noConsoleErrors(t, viewer)
	})
	noConsoleErrors(t, tb)
	t.Logf("%v: done", time.Since(start))
}

// shotViewport saves what the window shows (not the full page), scrolled
// to the top or to the element sel.
func shotViewport(t *testing.T, tb *tab, name, sel string) {
	t.Helper()
	scroll := `window.scrollTo(0, 0)`
	if sel != "" {
		scroll = fmt.Sprintf(`window.scrollTo(0, document.querySelector(%q).getBoundingClientRect().top + window.scrollY - 8)`, sel)
	}
	// The pause lets the regions that came into sight draw (they are drawn
	// at most every 2 s while out of sight); it only affects the picture.
	tb.do(t, "scroll", 5*time.Second, chromedp.Evaluate[chromedp.Void](scroll), chromedp.Sleep(700*time.Millisecond))
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	tb.save(t, name, png)
}

// evalAsync evaluates a JS expression that returns a promise of a string.
func evalAsync(t *testing.T, tb *tab, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

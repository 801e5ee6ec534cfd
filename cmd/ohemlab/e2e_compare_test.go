package main

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestE2EReplicatesAndOffline drives two things of the honest comparisons:
// saved runs of several seeds of one config compared as a mean curve with
// a min-max band, and the offline strategy chosen and tuned from the page,
// its pool scans arriving on the curves.
func TestE2EReplicatesAndOffline(t *testing.T) {
	start := time.Now()
	browser := e2eChrome(t)
	base := e2eServe(t, "--dataset", "moons", "--eval-every", "10", "--speed-cap", "200", "--store-dir", t.TempDir())
	tb := e2eTab(t, browser, true)
	tb.do(t, "open the dashboard", 30*time.Second,
		chromedp.EmulateViewport(1600, 1000),
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.ID("runs")),
	)
	// Seeds 1 and 2 recorded (each seed change restarts and saves the run
	// before), seed 3 live.
	for _, seed := range []string{"2", "3"} {
		tb.waitFor(t, "evaluations", `window.OHEM && OHEM.S.state && OHEM.S.evals[0] && OHEM.S.evals[0].length >= 5`, 30*time.Second)
		tb.setControl(t, "#ctl-seed", seed)
		tb.waitFor(t, "seed "+seed, fmt.Sprintf(`OHEM.S.state.config.seed === %s && OHEM.S.batch[0] && OHEM.S.batch[0].step > 0`, seed), 20*time.Second)
	}
	var runs []savedRun
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		runs = listRuns(t, base)
		if len(runs) == 3 || time.Now().After(deadline) {
			break
		}
	}
	if len(runs) != 3 {
		t.Fatalf("GET /api/runs lists %d runs, want 3", len(runs))
	}
	s2, s1 := runs[1], runs[2] // newest first
	var full [2]savedRun
	for i, r := range []savedRun{s2, s1} {
		if code := getJSONAt(t, base, fmt.Sprintf("api/runs/%d", r.ID), &full[i]); code != http.StatusOK {
			t.Fatalf("GET /api/runs/%d: status %d", r.ID, code)
		}
	}
	t.Logf("%v: runs of seeds 1 and 2 saved", time.Since(start))

	t.Run("seeds of one config: mean and min-max band", func(t *testing.T) {
		tb.waitFor(t, "the list", fmt.Sprintf(`document.querySelectorAll('#runs tr[data-run]').length === 3 && !document.querySelector('#runs').classList.contains('htmx-request')`), 10*time.Second)
		tb.do(t, "tick the two seeds and compare", 10*time.Second, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#runs .run-pick').forEach(c => { if (c.checked !== (c.value === '%d' || c.value === '%d')) c.click(); }); document.querySelector('#btn-compare-runs').click()`, s1.ID, s2.ID)))
		tb.waitFor(t, "the replicate view", `OHEM.S.replay && OHEM.S.replay.replicates === 2 && OHEM.S.bands && OHEM.S.bands.length === 1 && OHEM.S.evals.length === 1 && OHEM.S.evals[0].length >= 3`, 10*time.Second)
		// The curve is the mean of the two seeds at the steps both have; the
		// band their min and max.
		acc := map[int64][]float64{}
		for _, r := range full {
			for _, e := range r.Evals {
				acc[e.Step] = append(acc[e.Step], e.TestAccuracy)
			}
		}
		type pt struct {
			Step          int64
			Acc, Min, Max float64
		}
		got := eval[[]pt](t, tb, `OHEM.S.evals[0].map((e, i) => ({Step: e.step, Acc: e.acc, Min: OHEM.S.bands[0].min[i], Max: OHEM.S.bands[0].max[i]}))`)
		if len(got) < 3 {
			t.Fatalf("%d points on the mean curve", len(got))
		}
		for _, p := range got {
			a := acc[p.Step]
			if len(a) != 2 {
				t.Fatalf("step %d on the mean curve, but %d of the 2 runs evaluated there", p.Step, len(a))
			}
			if math.Abs(p.Acc-(a[0]+a[1])/2) > 1e-9 || p.Min != math.Min(a[0], a[1]) || p.Max != math.Max(a[0], a[1]) {
				t.Errorf("step %d: mean %v in [%v, %v], want %v in [%v, %v]", p.Step, p.Acc, p.Min, p.Max, (a[0]+a[1])/2, math.Min(a[0], a[1]), math.Max(a[0], a[1]))
			}
		}
		const legend = `Array.from(document.querySelectorAll('#curves-acc .u-legend .u-series .u-label')).map(l => l.textContent).join(' | ')`
		const want = "A mean of seeds 1,2: topk test acc. | A mean of seeds 1,2: topk min | A mean of seeds 1,2: topk max"
		tb.waitFor(t, "the legend of the mean and its band", legend+`.endsWith('`+want+`')`, 5*time.Second)
		if banner := eval[string](t, tb, `document.querySelector('#replay-name').textContent`); banner != fmt.Sprintf("2 seeds of one config (#%d, #%d): mean, with the min-max band of the test accuracy", s1.ID, s2.ID) &&
			banner != fmt.Sprintf("2 seeds of one config (#%d, #%d): mean, with the min-max band of the test accuracy", s2.ID, s1.ID) {
			t.Errorf("banner %q", banner)
		}
		f := eval[int](t, tb, `OHEM.S.frames`)
		tb.do(t, "back to live", 10*time.Second, chromedp.Click(chromedp.ID("btn-live")))
		tb.waitFor(t, "live again", fmt.Sprintf(`!OHEM.S.replay && !OHEM.S.bands && OHEM.S.connected && OHEM.S.frames > %d + 3 && OHEM.S.arms.length === 1`, f), 15*time.Second)
	})

	t.Run("offline from the page: scans marked, refresh live", func(t *testing.T) {
		tb.setControl(t, `select[data-arm="0"][data-field="strategy"]`, "offline")
		tb.waitFor(t, "offline in force", `OHEM.S.state.config.arms[0].select.strategy === 'offline' && OHEM.S.batch[0] && OHEM.S.batch[0].strategy === 'offline'`, 15*time.Second)
		tb.setControl(t, `input[data-arm="0"][data-field="refresh"]`, "20")
		tb.waitFor(t, "refresh 20 in force", `OHEM.S.state.config.arms[0].select.refresh === 20`, 15*time.Second)
		// Scans every 20 steps arrive as marks on the curves.
		tb.waitFor(t, "four scans", `OHEM.S.arms[0].scans.length >= 4`, 30*time.Second)
		scans := eval[[]int64](t, tb, `OHEM.S.arms[0].scans.slice(-3)`)
		if d1, d2 := scans[1]-scans[0], scans[2]-scans[1]; d1 != 20 || d2 != 20 {
			t.Errorf("the last scans at steps %v, want every 20 steps", scans)
		}
		// A bad value is refused where the user sees it.
		tb.setControl(t, `input[data-arm="0"][data-field="hard"]`, "100000")
		tb.waitFor(t, "the error", `(e => e && e.textContent.includes('Hard must be a whole number between 1 and pool = 10000'))(document.querySelector('[data-err-for="hard"][data-arm="0"]'))`, 10*time.Second)
	})
	noConsoleErrors(t, tb)
	t.Logf("%v: done", time.Since(start))
}

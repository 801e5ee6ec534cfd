package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// attackPage is a page of another origin (another port of 127.0.0.1, so
// "same-site" for the browser and its SameSite cookies) that tries what
// any web site its user visits could: no-cors fetches of control messages,
// a rename and a delete, form posts of a control message and of a CSV
// upload, a websocket that sends pause, and finally a top-level navigation
// to a shared link. BASE is the OHEM Lab server's URL, RUN a saved run.
const attackPage = `<!DOCTYPE html><html><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="f1" method="POST" action="BASEapi/control" enctype="text/plain" target="sink1"><input name='{"type":"pause","x":"' value='"}'></form>
<form id="f2" method="POST" action="BASEapi/upload" enctype="multipart/form-data" target="sink2"><textarea name="file">CSV</textarea></form>
<script>
window.log = [];
function loaded(name) { return new Promise((ok) => document.querySelector('iframe[name=' + name + ']').addEventListener('load', ok, { once: true })); }
async function attack() {
  const tries = [
    ["api/control", "POST", '{"type":"pause"}', "text/plain"],
    ["api/control", "POST", '{"type":"set","lr":50}', "application/x-www-form-urlencoded"],
    ["api/runs/RUN/name", "POST", '{"name":"pwned"}', "text/plain"],
    ["api/runs/RUN", "DELETE", null, null],
  ];
  for (const [path, method, body, ctype] of tries) {
    try {
      const opts = { method, mode: "no-cors", body };
      if (ctype) opts.headers = { "Content-Type": ctype };
      await fetch("BASE" + path, opts);
      log.push(method + " " + path + " sent");
    } catch (e) { log.push(method + " " + path + " failed: " + e); }
  }
  const l1 = loaded("sink1"), l2 = loaded("sink2");
  document.getElementById("f1").submit();
  document.getElementById("f2").submit();
  await Promise.all([l1, l2]);
  log.push("forms sent");
  await new Promise((done) => {
    const ws = new WebSocket("BASE".replace("http", "ws") + "ws");
    ws.onopen = () => { ws.send('{"type":"pause"}'); log.push("ws OPEN"); setTimeout(done, 500); };
    ws.onerror = ws.onclose = () => done();
  });
  log.push("ws tried");
  window.attacked = true;
}
attack();
</script></body></html>`

// TestE2ECrossSitePage opens a page of a second origin that attacks the
// server (attackPage) and then navigates to a shared link: nothing changes
// (the run goes on with its config, unpaused, the saved run keeps its name,
// no upload) until the user clicks "Start this experiment".
func TestE2ECrossSitePage(t *testing.T) {
	browser := e2eChrome(t)
	base := e2eServe(t, "--dataset", "circle", "--eval-every", "10", "--speed-cap", "100", "--store-dir", t.TempDir())
	var runs []savedRun
	deadline := time.Now().Add(20 * time.Second)
	for len(runs) == 0 && time.Now().Before(deadline) {
		runs = listRuns(t, base)
		time.Sleep(50 * time.Millisecond)
	}
	if len(runs) == 0 {
		t.Fatal("no saved run")
	}
	run := fmt.Sprint(runs[0].ID)
	before := serverState(t, base)

	var csv strings.Builder
	csv.WriteString("x,y,label\n")
	for i := 0; i < 50; i++ {
		csv.WriteString("1,2,0\n3,4,1\n")
	}
	page := strings.NewReplacer("BASE", base, "RUN", run, "CSV", csv.String()).Replace(attackPage)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	defer evil.Close()
	if strings.Contains(base, strings.TrimPrefix(evil.URL, "http://")) {
		t.Fatalf("the attack page shares the server's origin")
	}

	tb := e2eTab(t, browser, true)
	tb.do(t, "open the other site", 30*time.Second, chromedp.Navigate(evil.URL+"/"))
	tb.waitFor(t, "the attacks sent", `window.attacked === true`, 30*time.Second)
	log := eval[[]string](t, tb, `window.log`)
	t.Logf("attack page: %v", log)
	for _, l := range log {
		if strings.Contains(l, "ws OPEN") {
			t.Errorf("the other site opened a websocket")
		}
	}
	// The other site now sends the user to a shared link.
	link := base + "?ds=spiral&noise=0.4&lr=5&s=random"
	tb.do(t, "the other site navigates to a shared link", 30*time.Second,
		chromedp.Evaluate[chromedp.Void](`location.href = `+jsString(link)),
		chromedp.WaitVisible(chromedp.ID("hist-canvas")),
	)
	tb.waitFor(t, "the question", `window.OHEM && OHEM.S.connected && !document.querySelector('#link-confirm').hidden`, 20*time.Second)
	if what := eval[string](t, tb, `document.querySelector('#link-confirm-what').textContent`); !strings.Contains(what, "ds=spiral") {
		t.Errorf("the question shows %q, want the linked experiment", what)
	}
	// Nothing changed: the page has shown the question and the run has
	// gone on (more steps) since.
	tb.waitFor(t, "training goes on", fmt.Sprintf(`OHEM.S.batch[0] && OHEM.S.batch[0].step > %d`, before.Step+5), 20*time.Second)
	after := serverState(t, base)
	if after.Status != "running" || after.Version != before.Version || after.Config.Data.Name != "circle" || string(after.Dataset) != string(before.Dataset) {
		t.Errorf("state changed without a click: before %+v, after %+v", before, after)
	}
	for _, r := range listRuns(t, base) {
		if fmt.Sprint(r.ID) == run && strings.Contains(r.Name, "pwned") {
			t.Errorf("the other site renamed run %s", run)
		}
	}
	found := false
	for _, r := range listRuns(t, base) {
		found = found || fmt.Sprint(r.ID) == run
	}
	if !found {
		t.Errorf("the other site deleted run %s", run)
	}
	// The user's click is what starts it.
	tb.do(t, "click Start", 10*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#btn-link-start').click()`))
	tb.waitFor(t, "the linked experiment running", `OHEM.S.state && OHEM.S.state.config.data.name === 'spiral' && document.querySelector('#link-confirm').hidden`, 20*time.Second)
	if st := serverState(t, base); st.Config.Data.Name != "spiral" {
		t.Errorf("after the click the server runs %q", st.Config.Data.Name)
	}
	// The refused requests are logged by the browser, and so is the other
	// site's framing of the page's answers (frame-ancestors 'none'); a
	// blocked script or style of the page itself would be too.
	framed := false
	for _, e := range tb.consoleErrors() {
		if strings.Contains(e, "frame-ancestors") {
			framed = true
		} else if strings.Contains(e, "Content Security Policy") {
			t.Errorf("the page broke its own Content-Security-Policy: %s", e)
		}
	}
	if !framed {
		t.Errorf("the browser did not refuse to frame the server's answers")
	}
}

// shortState is the part of GET /api/state the cross-site test compares.
type shortState struct {
	Status  string `json:"status"`
	Version int64  `json:"version"`
	Step    int64  `json:"step"`
	Config  struct {
		Data struct {
			Name string `json:"name"`
		} `json:"data"`
	} `json:"config"`
	Dataset json.RawMessage `json:"dataset"`
}

func serverState(t *testing.T, base string) shortState {
	t.Helper()
	var st shortState
	if code := getJSONAt(t, base, "api/state", &st); code != 200 {
		t.Fatalf("GET /api/state: %d", code)
	}
	return st
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ohemlab/ohemlab/internal/banner"
)

// firstFrameFileEnv names a file to which TestE2EFirstFrame appends its
// figure (milliseconds), for scripts/firstframe.sh.
const firstFrameFileEnv = "OHEMLAB_FIRST_FRAME_FILE"

// firstInkJS runs in the page from the start of its document: after each
// histogram draw (the page's draw counter, checked on every animation
// frame) it looks for the kept-bar colour in the histogram canvas and
// records the wall-clock time when it first appears (the first batch
// histogram painted; before it the canvas only says it is waiting).
// Reading the canvas back only after a draw keeps the probe from taking
// the page's main thread on every frame while the page loads.
const firstInkJS = `(function(){
  let seen = -1;
  function tick() {
    const o = window.OHEM;
    const n = o && o.S && o.S.draws ? (o.S.draws.hist || 0) : 0;
    const c = document.getElementById('hist-canvas');
    if (n !== seen && c && c.width > 0 && c.height > 0) {
      seen = n;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i]-220) < 16 && Math.abs(d[i+1]-38) < 16 && Math.abs(d[i+2]-38) < 16 && d[i+3] > 200) {
          window.__ohemFirstHistogram = Date.now();
          return;
        }
      }
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();`

// TestE2EFirstFrame measures the time from starting the ohemlab process
// (serve, MNIST, saving runs) to the first batch histogram painted in a
// browser that opens the page as soon as the process prints its URL. The
// browser is started first and is not counted. It reports the figure and
// fails only when no histogram arrives; scripts/firstframe.sh repeats it
// and checks the 1 s target.
func TestE2EFirstFrame(t *testing.T) {
	browser := e2eChrome(t)
	tb := e2eTab(t, browser, true)
	tb.do(t, "prepare the tab", 30*time.Second,
		chromedp.EmulateViewport(1600, 1000),
		chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: firstInkJS})
			return chromedp.Void{}, err
		}),
	)
	cmd := command("serve", "--addr", "127.0.0.1:0", "--dataset", "mnist", "--store-dir", t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lineWriter{}
	cmd.Stderr = stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
		}
	})
	urlc := banner.WatchURL(out)
	var base string
	select {
	case base = <-urlc:
	case <-time.After(60 * time.Second):
		t.Fatalf("ohemlab serve printed no URL in 60 s; stderr:\n%s", stderr)
	}
	listening := time.Since(start)
	tb.do(t, "open the dashboard", 30*time.Second, chromedp.Navigate(base))
	tb.waitFor(t, "the first histogram", `window.__ohemFirstHistogram > 0`, 30*time.Second)
	painted := eval[float64](t, tb, `window.__ohemFirstHistogram`)
	// The page opened while the data loaded: it must then know the loaded
	// run (image size, generation), not keep the loading state's.
	tb.waitFor(t, "the loaded run's state", `OHEM.S.state.status !== 'loading' && OHEM.S.state.dataset.image_w === 28 && OHEM.S.state.dataset.generation >= 1`, 30*time.Second)
	first := time.UnixMilli(int64(painted)).Sub(start)
	t.Logf("process start -> URL printed %v, -> first histogram painted %v", listening.Round(time.Millisecond), first.Round(time.Millisecond))
	if f := os.Getenv(firstFrameFileEnv); f != "" {
		line := fmt.Sprintf("%d %d\n", listening.Milliseconds(), first.Milliseconds())
		if err := appendFile(f, line); err != nil {
			t.Error(err)
		}
	}
	if errs := tb.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %s", strings.Join(errs, "; "))
	}
}

func appendFile(name, s string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

package banner

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestURL(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"OHEM Lab listening on http://127.0.0.1:8080/", "http://127.0.0.1:8080/"},
		{"OHEM Lab listening on http://127.0.0.1:40211/", "http://127.0.0.1:40211/"},
		{"Large type for projectors: http://127.0.0.1:8080/?large=1", ""},
		{"OHEM Lab listening on http://0.0.0.0:8080/", ""},
		{"", ""},
	} {
		if got := URL(tt.line); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestWatchURL checks that the first listening URL is sent and that the
// rest of the output is still read (a writer is never blocked).
func TestWatchURL(t *testing.T) {
	r, w := io.Pipe()
	urlc := WatchURL(r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.WriteString(w, "starting\nOHEM Lab listening on http://127.0.0.1:1234/\n")
		io.WriteString(w, strings.Repeat("more output\n", 10000)+"OHEM Lab listening on http://127.0.0.1:5678/\n")
		w.Close()
	}()
	select {
	case u := <-urlc:
		if u != "http://127.0.0.1:1234/" {
			t.Errorf("got %q, want the first listening URL", u)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no URL")
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the writer is blocked: WatchURL stopped reading")
	}
}

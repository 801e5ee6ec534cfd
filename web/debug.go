package web

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"runtime"
	rpprof "runtime/pprof"
	"strings"

	"github.com/go-chi/chi/v5"
)

// RuntimeStats is the body of GET /debug/runtime: the server process's
// goroutine count and heap figures (from runtime.MemStats, in bytes) and
// the connected websocket viewers. The load tool's soak mode compares it
// before and after churning viewers.
type RuntimeStats struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	HeapInuse  uint64 `json:"heap_inuse"`
	HeapSys    uint64 `json:"heap_sys"`
	NumGC      uint32 `json:"num_gc"`
	Viewers    int    `json:"viewers"`
	// GC is true when runtime.GC ran just before the figures were read
	// (query parameter gc=1).
	GC bool `json:"gc"`
}

// mountDebug adds the loopback-only debug routes when Options.Debug is set
// (--debug): GET /debug/runtime (RuntimeStats as JSON; ?gc=1 runs a garbage
// collection first) and the net/http/pprof handlers under /debug/pprof/,
// except cmdline, which would show the command line and with it a
// --control-token. Requests whose remote address is not a loopback IP get
// 403. Behind a reverse proxy on the same machine every request looks like
// loopback, so such a deployment should not forward /debug/.
func (s *Server) mountDebug(r chi.Router) {
	if !s.opts.Debug {
		return
	}
	r.Route("/debug", func(r chi.Router) {
		r.Use(loopbackOnly)
		r.Get("/runtime", s.serveRuntime)
		r.Get("/pprof/", servePprofIndex)
		r.Get("/pprof/cmdline", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "the command line is not served: it may hold the control token")
		})
		r.Get("/pprof/profile", pprof.Profile)
		r.Get("/pprof/symbol", pprof.Symbol)
		r.Get("/pprof/trace", pprof.Trace)
		r.Get("/pprof/{name}", func(w http.ResponseWriter, r *http.Request) {
			pprof.Handler(chi.URLParam(r, "name")).ServeHTTP(w, r)
		})
	})
}

// isLoopback reports whether remoteAddr (an http.Request.RemoteAddr,
// "host:port" or a bare host) is a loopback IP address.
func isLoopback(remoteAddr string) bool {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// loopbackOnly answers 403 to every client whose address is not loopback.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			writeError(w, http.StatusForbidden, "debug routes are only served to loopback clients (127.0.0.1, ::1)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serveRuntime answers GET /debug/runtime[?gc=1].
func (s *Server) serveRuntime(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	gc := false
	if v, ok := q["gc"]; ok {
		if len(v) != 1 || (v[0] != "1" && v[0] != "0") {
			writeError(w, http.StatusBadRequest, "gc must be given once, as 0 or 1")
			return
		}
		gc = v[0] == "1"
	}
	for k := range q {
		if k != "gc" {
			writeError(w, http.StatusBadRequest, "unknown parameter "+k+": /debug/runtime takes only gc=0|1")
			return
		}
	}
	if gc {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	writeJSON(w, http.StatusOK, RuntimeStats{
		Goroutines: runtime.NumGoroutine(),
		HeapAlloc:  ms.HeapAlloc,
		HeapInuse:  ms.HeapInuse,
		HeapSys:    ms.HeapSys,
		NumGC:      ms.NumGC,
		Viewers:    s.Viewers(),
		GC:         gc,
	})
}

// servePprofIndex lists the profiles, as net/http/pprof's index does but
// without the command line.
func servePprofIndex(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("pprof profiles (go tool pprof http://HOST/debug/pprof/NAME):\n")
	for _, p := range rpprof.Profiles() {
		fmt.Fprintf(&b, "%s\t%d\n", p.Name(), p.Count())
	}
	b.WriteString("profile\tCPU profile (?seconds=N)\ntrace\texecution trace (?seconds=N)\nsymbol\tsymbol lookup\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, b.String())
}

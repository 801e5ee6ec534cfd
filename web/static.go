package web

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/ohemlab/ohemlab/static"
)

// staticHandler serves static.FS's assets/ under /static/. Vendored files
// (whose names carry a version) are cached for a year; OHEM Lab's own
// files are revalidated on each load (net/http's Last-Modified is the
// binary's build, so the cache is short).
func (s *Server) staticHandler() http.Handler {
	sub, err := fs.Sub(static.FS, "assets")
	if err != nil {
		panic("web: static assets missing: " + err.Error())
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			writeError(w, http.StatusNotFound, "no such asset: "+r.URL.Path)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/static/vendor/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=60, must-revalidate")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// moduleURLs are the page's ES modules beside the entry script, preloaded
// by the page.
var moduleURLs = func() []string {
	var out []string
	for _, m := range static.Modules() {
		out = append(out, "/static/"+m)
	}
	return out
}()

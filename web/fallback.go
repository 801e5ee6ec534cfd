package web

import (
	"html/template"
	"net/http"
)

var fallbackPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OHEM Lab</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><h1>OHEM Lab</h1>
<p>Dataset {{.Dataset.Name}}, status {{.Status}}, step {{.Step}}.</p>
<p>Live frames: <code>/ws</code>; state: <a href="/api/state">/api/state</a>.</p>
</body></html>
`))

// servePageFallback is a minimal status page served at / until the
// dashboard pages are mounted.
func (s *Server) servePageFallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := fallbackPage.Execute(w, s.State()); err != nil {
		s.log.Error("fallback page", "err", err)
	}
}

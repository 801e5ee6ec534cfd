package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// tokenOK reports whether tok is the control token, in constant time.
// It is false when no token is configured.
func (s *Server) tokenOK(tok string) bool {
	want := s.opts.ControlToken
	if want == "" || tok == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(tok), []byte(want)) == 1
}

// requestToken returns the control token a request carries: the "token"
// query parameter, an "Authorization: Bearer" header or an X-Control-Token
// header.
func requestToken(r *http.Request) string {
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return r.Header.Get("X-Control-Token")
}

// checkOrigin accepts same-origin requests, requests without an Origin
// header (non-browser clients) and the configured allow-list.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range s.opts.AllowedOrigins {
		if strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// The control token. A request carries it in the token query parameter
// (the presenter URL), an "Authorization: Bearer" or X-Control-Token
// header, or the tokenCookie the page gets when it is opened with the
// right token (so that the page can take the token out of its URL).
//
// Wrong tokens are throttled per client address (wrongTokenRate with
// bursts of wrongTokenBurst): beyond that, a token from that address is
// not even compared, so a guesser learns nothing. A wrong or throttled
// token answers exactly as a missing one: read-only viewer.

// tokenCookie is the name of the cookie that carries the control token:
// HttpOnly (no script reads it) and SameSite=Strict (no other site's
// request carries it).
const tokenCookie = "ohemlab_token"

// Wrong-token throttle per client address: one attempt per second with
// bursts of 10.
const (
	wrongTokenRate  = 1.0
	wrongTokenBurst = 10
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

// tokenFrom reports whether tok, presented by the client at remoteAddr, is
// the control token. A client that has used up its wrong-token attempts is
// refused without a comparison; every wrong attempt uses one up.
func (s *Server) tokenFrom(tok, remoteAddr string) bool {
	if s.opts.ControlToken == "" || tok == "" {
		return false
	}
	host := clientHost(remoteAddr)
	now := time.Now()
	if !s.tokenLim.ready(host, now) {
		return false
	}
	if s.tokenOK(tok) {
		return true
	}
	s.tokenLim.allow(host, now)
	return false
}

// requestToken returns the control token a request carries: the "token"
// query parameter, an "Authorization: Bearer" header, an X-Control-Token
// header or the token cookie.
func requestToken(r *http.Request) string {
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	if t := r.Header.Get("X-Control-Token"); t != "" {
		return t
	}
	if c, err := r.Cookie(tokenCookie); err == nil {
		return c.Value
	}
	return ""
}

// setTokenCookie gives the page opened with the right ?token= the token as
// an HttpOnly, SameSite=Strict session cookie, so that the page can remove
// the token from its address bar and history (moveTokenOutOfURL in
// app.js) and still control.
func (s *Server) setTokenCookie(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if tok == "" || !s.tokenOK(tok) {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: tokenCookie, Value: tok, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

package web

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The request guard is the first middleware of every route, /ws included.
// It stands between OHEM Lab and the other web sites its user visits:
//
//   - Host allow-list (DNS rebinding): a request must name this server by its
//     listening address, localhost, 127.0.0.1 or [::1] with the listening
//     port, or by a name given with --allow-host (Options.AllowedHosts).
//   - Cross-site writes: every request that may change something (any method
//     but GET, HEAD and OPTIONS, and the websocket handshake) is refused when
//     its Origin is neither this server's own nor an --allow-origin
//     (Options.AllowedOrigins), or when the browser says Sec-Fetch-Site:
//     cross-site. A body must be JSON (Content-Type: application/json)
//     except on the routes of bodyTypes. Requests with neither header (curl,
//     scripts, the CLI) are not browsers' cross-site requests and pass.
//   - Security headers on every response (securityHeaders).

// AllowHostFlag and AllowOriginFlag are the command-line flags that widen
// the guard; its error messages name them.
const (
	AllowHostFlag   = "--allow-host"
	AllowOriginFlag = "--allow-origin"
)

// contentSecurityPolicy allows only the server's own scripts, styles,
// images and connections (the websocket included), no inline script or
// style element, no plugin, and no framing by any page.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// bodyTypes lists the routes whose request body is not JSON and the media
// types they take. Every other state-changing route takes JSON only.
var bodyTypes = map[string][]string{
	"/api/upload": {"text/csv", "application/csv", "application/octet-stream", "multipart/form-data"},
	// The binary ingest format (external.BinaryMagic) is octet-stream.
	"/api/ingest": {"application/json", "application/octet-stream"},
}

// guard is the request guard middleware (see the comment at the top of
// this file).
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		if !s.hostAllowed(r) {
			s.log.Info("refused host", "host", r.Host, "remote", r.RemoteAddr)
			writeError(w, http.StatusMisdirectedRequest, hostRefusal(r.Host))
			return
		}
		if changesState(r) {
			if msg := s.crossSite(r); msg != "" {
				s.log.Info("refused cross-site request", "path", r.URL.Path, "remote", r.RemoteAddr)
				writeError(w, http.StatusForbidden, msg)
				return
			}
			if r.URL.Path != "/ws" {
				if code, msg := checkBodyType(r); code != 0 {
					writeError(w, code, msg)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// changesState reports whether r may change something: any method but GET,
// HEAD and OPTIONS, and the websocket handshake (whose messages control
// training).
func changesState(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return r.URL.Path == "/ws"
	}
	return true
}

// hostRefusal is the message of a request whose Host is not allowed.
func hostRefusal(host string) string {
	name, _ := splitHostPort(host)
	if name == "" {
		return "this server answers only requests that name it (the Host header is empty): use its listening address, localhost, 127.0.0.1 or [::1]"
	}
	return fmt.Sprintf("this server does not answer to the name %q: it answers to its listening address, localhost, 127.0.0.1 and [::1] with its port; "+
		"to reach it under another name (e.g. behind a reverse proxy) start it with %s %s", name, AllowHostFlag, name)
}

// splitHostPort splits a Host header into a lower-case name (without
// brackets or a trailing dot) and a port ("" when absent).
func splitHostPort(hostport string) (name, port string) {
	name = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		name, port = h, p
	} else if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		name = name[1 : len(name)-1]
	}
	return strings.TrimSuffix(strings.ToLower(name), "."), port
}

// localNames are the names of this machine every server answers to.
var localNames = []string{"localhost", "127.0.0.1", "::1"}

// hostAllowed reports whether r's Host names this server.
func (s *Server) hostAllowed(r *http.Request) bool {
	return s.hostOK(r.Host, r)
}

// hostOK reports whether hostport (a Host header, or the host of an
// Origin) names the server that received r: a local name or the address r
// arrived at, with the listening port, or an allowed host.
func (s *Server) hostOK(hostport string, r *http.Request) bool {
	name, port := splitHostPort(hostport)
	if name == "" {
		return false
	}
	for _, a := range s.opts.AllowedHosts {
		an, ap := splitHostPort(a)
		if an == name && (ap == "" || ap == port) {
			return true
		}
	}
	if port == "" {
		port = "80"
	}
	localIP, localPort := "", ""
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if h, p, err := net.SplitHostPort(la.String()); err == nil {
			localIP, localPort = strings.ToLower(h), p
		}
	}
	if localPort != "" && port != localPort {
		return false
	}
	if localIP != "" && name == localIP {
		return true
	}
	for _, n := range localNames {
		if name == n {
			return true
		}
	}
	return false
}

// crossSite returns why r, a state-changing request, is refused as a
// cross-site request, or "" when it is not one.
func (s *Server) crossSite(r *http.Request) string {
	if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
		return "cross-site request refused: another web site cannot change this server (Sec-Fetch-Site: cross-site)"
	}
	origin := r.Header.Get("Origin")
	if origin == "" || s.originOK(origin, r) {
		return ""
	}
	return fmt.Sprintf("cross-site request refused: a page from %s cannot change this server; to allow another origin start it with %s",
		strconv.Quote(origin), AllowOriginFlag)
}

// originOK reports whether origin is the server's own origin (http or
// https and a host that names this server) or an allowed origin.
func (s *Server) originOK(origin string, r *http.Request) bool {
	for _, o := range s.opts.AllowedOrigins {
		if strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.User != nil {
		return false
	}
	return s.hostOK(u.Host, r)
}

// checkBodyType checks the Content-Type of a state-changing request with a
// body: application/json, or one of the route's bodyTypes. It returns 0
// when the request may go on.
func checkBodyType(r *http.Request) (int, string) {
	if r.ContentLength == 0 {
		return 0, ""
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	want := bodyTypes[r.URL.Path]
	if err == nil {
		if want == nil && mt == "application/json" {
			return 0, ""
		}
		for _, t := range want {
			if mt == t {
				return 0, ""
			}
		}
	}
	if want == nil {
		want = []string{"application/json"}
	}
	got := r.Header.Get("Content-Type")
	if got == "" {
		got = "none"
	}
	return http.StatusUnsupportedMediaType, fmt.Sprintf("%s %s takes a body of type %s, not %s",
		r.Method, r.URL.Path, strings.Join(want, " or "), strconv.Quote(got))
}

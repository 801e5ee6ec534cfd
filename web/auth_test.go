package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestWrongTokenThrottled checks that wrong tokens are throttled per client
// address and answer exactly like a missing token, on HTTP and the
// websocket, and that a throttled address cannot get in even with the right
// token while another address can.
func TestWrongTokenThrottled(t *testing.T) {
	const token = "right-token-0123456789"
	e := newEnv(t, func(o *Options) { o.ControlToken = token; o.ControlRate = 1000; o.ControlBurst = 1000 })
	post := func(hdr ...string) (int, string) {
		code, _, body := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"eval"}`), hdr...)
		return code, string(body)
	}
	missingCode, missing := post()
	if missingCode != http.StatusForbidden {
		t.Fatalf("no token: %d %s", missingCode, missing)
	}
	for i := 0; i < wrongTokenBurst; i++ {
		for _, hdr := range [][]string{{"X-Control-Token", "wrong-" + strings.Repeat("x", i)}, {"Authorization", "Bearer nope"}} {
			if code, body := post(hdr...); code != missingCode || body != missing {
				t.Fatalf("wrong token %d: %d %s, want exactly %d %s", i, code, body, missingCode, missing)
			}
		}
	}
	// Used up: the right token from this address answers like a missing one.
	if code, body := post("X-Control-Token", token); code != missingCode || body != missing {
		t.Errorf("right token after %d wrong ones: %d %s, want the missing-token answer", wrongTokenBurst, code, body)
	}
	_, hello := e.dial(t, "token="+token)
	if hello["role"] != RoleViewer {
		t.Errorf("throttled websocket role %v, want viewer", hello["role"])
	}
	c, _ := e.dial(t, "")
	send(t, c, `{"type":"eval","id":"a","token":"`+token+`"}`)
	f := readUntil(t, c, "error")
	send(t, c, `{"type":"eval","id":"a"}`)
	g := readUntil(t, c, "error")
	if f["error"] != g["error"] || f["id"] != g["id"] {
		t.Errorf("throttled message token %v, missing token %v: want the same answer", f, g)
	}
	if n := e.fake.count("RequestEval"); n != 0 {
		t.Fatalf("%d evals requested by a throttled client", n)
	}
	// Another address is not affected.
	req := httptest.NewRequest("POST", "/api/control", strings.NewReader(`{"type":"eval"}`))
	req.Host = "127.0.0.1"
	req.RemoteAddr = "192.0.2.9:4000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Control-Token", token)
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || e.fake.count("RequestEval") != 1 {
		t.Errorf("right token from another address: %d %s", rec.Code, rec.Body)
	}
}

// TestTokenCookie checks that the page opened with the right token gives
// it back as an HttpOnly SameSite=Strict cookie that grants control
// without the token in the URL, and that a wrong token gets no cookie.
func TestTokenCookie(t *testing.T) {
	const token = "right-token-0123456789"
	e := newEnv(t, func(o *Options) { o.ControlToken = token })
	_, hdr, _ := e.get(t, "/?token=wrong-token-000000000")
	if hdr.Get("Set-Cookie") != "" {
		t.Errorf("a wrong token got a cookie: %s", hdr.Get("Set-Cookie"))
	}
	_, hdr, _ = e.get(t, "/")
	if hdr.Get("Set-Cookie") != "" {
		t.Errorf("no token got a cookie: %s", hdr.Get("Set-Cookie"))
	}
	_, hdr, body := e.get(t, "/?token="+token+"&large=1")
	cookies := (&http.Response{Header: hdr}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v, want one", hdr["Set-Cookie"])
	}
	ck := cookies[0]
	if ck.Name != tokenCookie || ck.Value != token || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.MaxAge != 0 || !ck.Expires.IsZero() {
		t.Errorf("cookie %+v: want an HttpOnly SameSite=Strict session cookie for /", ck)
	}
	if !strings.Contains(string(body), `data-role="control"`) {
		t.Errorf("the page with the token is not a controlling page")
	}
	if strings.Contains(string(body), token) {
		t.Errorf("the page's HTML contains the token")
	}
	cookie := tokenCookie + "=" + token
	if _, _, body := e.get(t, "/", "Cookie", cookie); !strings.Contains(string(body), `data-role="control"`) {
		t.Errorf("the page with the cookie is not a controlling page")
	}
	if code, _, body := e.do(t, "POST", "/api/control", "application/json", strings.NewReader(`{"type":"eval"}`), "Cookie", cookie); code != 200 {
		t.Errorf("control with the cookie: %d %s", code, body)
	}
	c, _, err := websocket.DefaultDialer.Dial(e.wsURL(""), http.Header{"Cookie": {cookie}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if hello := readFrame(t, c); hello["role"] != RoleControl {
		t.Errorf("websocket with the cookie: role %v", hello["role"])
	}
}

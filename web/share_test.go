package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer"
)

func TestSharedConfig(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		ok      bool
		wantErr string // substring of the error; empty = success
		check   func(t *testing.T, c trainer.Config)
	}{
		{name: "no parameters", query: ""},
		{name: "page parameters only", query: "token=abc&large=1&run=3"},
		{name: "a link", query: "ds=moons&m=4&seed=7&token=abc", ok: true, check: func(t *testing.T, c trainer.Config) {
			if c.Data.Name != "moons" || c.Seed != 7 || c.Arms[0].Select.M != 4 {
				t.Errorf("config = %+v, want moons, seed 7, m 4", c)
			}
		}},
		{name: "two arms", query: "ds=mnist&b.s=random", ok: true, check: func(t *testing.T, c trainer.Config) {
			if len(c.Arms) != 2 || c.Arms[1].Select.Strategy != "random" {
				t.Errorf("arms = %+v, want a random second arm", c.Arms)
			}
		}},
		{name: "bad number", query: "ds=moons&lr=banana", ok: true, wantErr: "lr"},
		{name: "unknown key", query: "ds=moons&bogus=1", ok: true, wantErr: "bogus"},
		{name: "no server paths", query: "ds=csv:/etc/passwd", ok: true, wantErr: "ds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			js, ok, err := sharedConfig(q)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return
			}
			var c trainer.Config
			if err := json.Unmarshal([]byte(js), &c); err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestShareRoundTrip(t *testing.T) {
	cfg := trainer.DefaultConfig("moons")
	cfg.Seed = 9
	cfg.Arms[0].Select.M = 5
	sh := shareOf(cfg)
	if !sh.Shareable || !strings.Contains(sh.Query, "seed=9") {
		t.Fatalf("share = %+v, want a shareable query with seed=9", sh)
	}
	q, err := url.ParseQuery(sh.Query)
	if err != nil {
		t.Fatal(err)
	}
	js, ok, err := sharedConfig(q)
	if !ok || err != nil {
		t.Fatalf("sharedConfig(%q) = %v, %v", sh.Query, ok, err)
	}
	var got trainer.Config
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(cfg.WithDefaults())
	if g, _ := json.Marshal(got); string(g) != string(want) {
		t.Errorf("round trip:\n got %s\nwant %s", g, want)
	}

	csv := trainer.DefaultConfig("moons")
	csv.Data.Name = "csv:/somewhere/data.csv"
	if sh := shareOf(csv); sh.Shareable || sh.Query != "" || sh.Why == "" {
		t.Errorf("CSV experiment share = %+v, want not shareable with a reason and no path", sh)
	}
}

func TestPageCarriesSharedConfig(t *testing.T) {
	e := newEnv(t, nil)
	code, _, body := e.get(t, "/?ds=moons&m=4")
	if code != http.StatusOK {
		t.Fatalf("GET /?ds=moons&m=4 = %d", code)
	}
	page := html.UnescapeString(string(body))
	if !strings.Contains(page, `"name":"moons"`) {
		t.Errorf("page does not carry the linked config in data-shared")
	}
	code, _, body = e.get(t, "/?ds=moons&lr=banana")
	if code != http.StatusOK {
		t.Fatalf("GET bad link = %d", code)
	}
	if page := html.UnescapeString(string(body)); !strings.Contains(page, "this link's experiment is not valid") || !strings.Contains(page, "lr") {
		t.Errorf("page does not explain the bad link")
	}
	code, _, body = e.get(t, "/api/share")
	if code != http.StatusOK || !strings.Contains(string(body), `"query"`) {
		t.Errorf("GET /api/share = %d %s", code, body)
	}
	if n := e.fake.count("Reset"); n != 0 {
		t.Errorf("opening a link reset the trainer %d times: only a controlling page's client may", n)
	}
}

package main

import (
	"strings"
	"testing"
)

// TestOriginList checks --allow-origin parsing and normalisation.
func TestOriginList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		ok   bool
	}{
		{[]string{"https://lab.example.org"}, "https://lab.example.org", true},
		{[]string{"HTTP://Host:8080/"}, "http://host:8080", true},
		{[]string{"https://a.org,https://b.org", "http://c:1"}, "https://a.org,https://b.org,http://c:1", true},
		{[]string{"https://a.org,,"}, "https://a.org", true},
		{[]string{"lab.example.org"}, "", false},
		{[]string{"ftp://a.org"}, "", false},
		{[]string{"https://a.org/x"}, "", false},
		{[]string{"https://u:p@a.org"}, "", false},
		{[]string{"https://a.org?q=1"}, "", false},
		{[]string{"https://"}, "", false},
	}
	for _, tc := range tests {
		var o originList
		var err error
		for _, s := range tc.in {
			if err = o.Set(s); err != nil {
				break
			}
		}
		if (err == nil) != tc.ok {
			t.Errorf("Set(%q): err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && o.String() != tc.want {
			t.Errorf("Set(%q) = %q, want %q", tc.in, o.String(), tc.want)
		}
	}
}

// TestCheckToken checks control-token validation.
func TestCheckToken(t *testing.T) {
	tests := []struct {
		tok string
		ok  bool
	}{
		{"abcdefghijklmnop", true},
		{"A-_.~0123456789xyz", true},
		{"short", false},
		{strings.Repeat("a", 257), false},
		{"abcdefghijklmnop q", false},
		{"abcdefghijklmnop&token=x", false},
		{"abcdefghijklmnopé", false},
	}
	for _, tc := range tests {
		if err := checkToken(tc.tok, "--control-token"); (err == nil) != tc.ok {
			t.Errorf("checkToken(%q) = %v, want ok=%v", tc.tok, err, tc.ok)
		}
	}
	a, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newToken()
	if a == b || checkToken(a, "generated") != nil {
		t.Errorf("newToken gave %q and %q: want two different valid tokens", a, b)
	}
}

// TestHostList checks --allow-host parsing and normalisation.
func TestHostList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		ok   bool
	}{
		{[]string{"lab.example.org"}, "lab.example.org", true},
		{[]string{"Lab.Example.org:8443"}, "lab.example.org:8443", true},
		{[]string{"a.org,b.org", "10.0.0.5:8080"}, "a.org,b.org,10.0.0.5:8080", true},
		{[]string{"[::1]:8080"}, "[::1]:8080", true},
		{[]string{"a.org,,"}, "a.org", true},
		{[]string{"https://a.org"}, "", false},
		{[]string{"a.org/x"}, "", false},
		{[]string{"u@a.org"}, "", false},
		{[]string{"a.org:"}, "", false},
		{[]string{"a.org:0"}, "", false},
		{[]string{"a.org:99999"}, "", false},
		{[]string{"a.org:http"}, "", false},
		{[]string{"a_b.org"}, "", false},
		{[]string{"a.org?x"}, "", false},
		{[]string{":8080"}, "", false},
	}
	for _, tc := range tests {
		var h hostList
		var err error
		for _, s := range tc.in {
			if err = h.Set(s); err != nil {
				break
			}
		}
		if (err == nil) != tc.ok {
			t.Errorf("Set(%q): err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && h.String() != tc.want {
			t.Errorf("Set(%q) = %q, want %q", tc.in, h.String(), tc.want)
		}
	}
}

package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// originList is a repeatable flag of origins; each use may also be a comma
// separated list.
type originList []string

// String returns the origins, comma separated.
func (o *originList) String() string { return strings.Join(*o, ",") }

// Set adds one or more comma-separated origins, each checked and
// normalised to scheme://host[:port].
func (o *originList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := normalizeOrigin(part)
		if err != nil {
			return err
		}
		*o = append(*o, n)
	}
	return nil
}

// normalizeOrigin checks that s is a browser origin (http or https scheme,
// a host, no path, query or user info) and returns it lower-cased.
func normalizeOrigin(s string) (string, error) {
	bad := fmt.Errorf("want an origin such as https://lab.example.org or http://host:8080, got %q", s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", bad
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// hostList is the repeatable --allow-host flag: names (or name:port) the
// server answers to besides its listening address and localhost; each use
// may also be a comma separated list.
type hostList []string

// String returns the names, comma separated.
func (h *hostList) String() string { return strings.Join(*h, ",") }

// Set adds one or more comma-separated host names, each checked and
// lower-cased.
func (h *hostList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := normalizeHost(part)
		if err != nil {
			return err
		}
		*h = append(*h, n)
	}
	return nil
}

// normalizeHost checks that s is a host name or IP address, optionally with
// a port, as a browser sends it in the Host header (no scheme, path or
// user), and returns it lower-cased.
func normalizeHost(s string) (string, error) {
	bad := fmt.Errorf("want a host name as the browser sends it, such as lab.example.org or lab.example.org:8443, got %q", s)
	u, err := url.Parse("http://" + s)
	if err != nil || u.Host != s || u.Hostname() == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", bad
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", bad
		}
	} else if strings.HasSuffix(s, ":") {
		return "", bad
	}
	for _, c := range u.Hostname() {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':'
		if !ok {
			return "", bad
		}
	}
	return strings.ToLower(s), nil
}

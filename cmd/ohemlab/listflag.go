package main

import (
	"fmt"
	"net/url"
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

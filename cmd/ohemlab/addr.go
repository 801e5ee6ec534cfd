package main

import (
	"net"
	"strconv"
)

// checkAddr checks a --addr value: host:port with a port in [0, 65535]; an
// empty host means every interface.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr: want host:port such as 127.0.0.1:8080, :8080 or 0.0.0.0:0, got %q", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return usagef("--addr: the port must be a number in [0, 65535], got %q", port)
	}
	_ = host
	return nil
}

// boundAddr describes where a listener ended up.
type boundAddr struct {
	// URL is the address to open in a browser on this machine, e.g.
	// http://127.0.0.1:8080/ (127.0.0.1 when bound to every interface).
	URL string
	// Loopback is true when only this machine can connect.
	Loopback bool
	// AllInterfaces is true when bound to the unspecified address.
	AllInterfaces bool
	// Port is the real port (useful with :0).
	Port int
}

// describeListener reports where ln listens. requestedHost is the host of
// --addr: a name given there is kept in the URL.
func describeListener(ln net.Listener, requestedHost string) boundAddr {
	ta, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return boundAddr{URL: "http://" + ln.Addr().String() + "/"}
	}
	b := boundAddr{Port: ta.Port, Loopback: ta.IP.IsLoopback(), AllInterfaces: ta.IP.IsUnspecified()}
	host := ta.IP.String()
	switch {
	case b.AllInterfaces:
		host = "127.0.0.1"
	case requestedHost != "" && net.ParseIP(requestedHost) == nil:
		host = requestedHost // a name such as localhost
	}
	b.URL = "http://" + net.JoinHostPort(host, strconv.Itoa(ta.Port)) + "/"
	return b
}

// networkURLs lists http://IP:port/ for this machine's non-loopback
// interface addresses (IPv4 first), at most max of them.
func networkURLs(port, max int) []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var v4, v6 []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() || ipn.IP.IsMulticast() {
			continue
		}
		u := "http://" + net.JoinHostPort(ipn.IP.String(), strconv.Itoa(port)) + "/"
		if ipn.IP.To4() != nil {
			v4 = append(v4, u)
		} else {
			v6 = append(v6, u)
		}
	}
	out := append(v4, v6...)
	if len(out) > max {
		out = out[:max]
	}
	return out
}

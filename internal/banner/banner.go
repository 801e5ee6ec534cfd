// Package banner holds the line "ohemlab serve" prints when it listens and
// reads it back, for the tests, benchmarks and scripts that start a server
// and wait for its address.
package banner

import (
	"bufio"
	"io"
	"regexp"
	"strings"
)

// Listening starts the line that gives the dashboard's address:
// "OHEM Lab listening on http://HOST:PORT/".
const Listening = "OHEM Lab listening on "

// loopbackURL is the address of a server on a loopback port.
var loopbackURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`)

// URL returns the loopback URL a listening line gives, or "" for any other
// line.
func URL(line string) string {
	if !strings.HasPrefix(line, Listening) {
		return ""
	}
	return loopbackURL.FindString(line)
}

// WatchURL reads r line by line until it ends and sends the first listening
// URL on the returned channel (buffered, so the reader never waits). It
// keeps reading after that, so that a child process writing to a pipe is
// never blocked by a full one.
func WatchURL(r io.Reader) <-chan string {
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sent := false
		for sc.Scan() {
			if u := URL(sc.Text()); u != "" && !sent {
				urlc <- u
				sent = true
			}
		}
	}()
	return urlc
}

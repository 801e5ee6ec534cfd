package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// Control token limits: long enough to resist guessing, URL-safe so that it
// can travel in the presenter URL's query string.
const (
	minTokenLen = 16
	maxTokenLen = 256
	tokenEnv    = "OHEMLAB_CONTROL_TOKEN"
)

// newToken returns a random URL-safe control token (128 bits).
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a control token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// checkToken checks a control token given by flag or environment; source
// names where it came from for the error message.
func checkToken(tok, source string) error {
	if len(tok) < minTokenLen || len(tok) > maxTokenLen {
		return usagef("%s: the control token must be %d to %d characters long, got %d", source, minTokenLen, maxTokenLen, len(tok))
	}
	for _, c := range tok {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
		if !ok {
			return usagef("%s: the control token may only use letters, digits and - _ . ~ (it travels in a URL)", source)
		}
	}
	return nil
}

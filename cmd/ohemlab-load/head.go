package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// parseHead reads the fields of a frame the tool needs (type, t, arm,
// step) from the top level of the JSON object b. It skips every other
// value without decoding it (a batch frame's rows, losses and examples are
// most of its bytes) and stops as soon as it has what it needs, so that
// the load tool spends little CPU per frame and does not steal it from the
// server it measures. Skipped values are only checked for balanced
// brackets and closed strings; the values it reads are fully checked.
func parseHead(b []byte) (frameHead, error) {
	var h frameHead
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return h, errors.New("frame is not a JSON object")
	}
	i++
	var haveArm, haveStep bool
	for first := true; ; first = false {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == '}' && first {
			break
		}
		if i >= len(b) || b[i] != '"' {
			return h, fmt.Errorf("offset %d: want a field name", i)
		}
		end, err := skipString(b, i)
		if err != nil {
			return h, err
		}
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if err := json.Unmarshal(b[i:end], &k); err != nil {
				return h, err
			}
			key = []byte(k)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return h, fmt.Errorf("offset %d: want ':' after a field name", i)
		}
		i = skipSpace(b, i+1)
		start := i
		if i, err = skipValue(b, i); err != nil {
			return h, err
		}
		val := b[start:i]
		switch string(key) {
		case "type":
			err = json.Unmarshal(val, &h.Type)
		case "t":
			err = json.Unmarshal(val, &h.T)
		case "arm":
			err, haveArm = json.Unmarshal(val, &h.Arm), true
		case "step":
			err, haveStep = json.Unmarshal(val, &h.Step), true
		}
		if err != nil {
			return h, fmt.Errorf("field %q: %v", key, err)
		}
		if h.Type != "" && h.T != 0 && (h.Type != "batch" || (haveArm && haveStep)) {
			return h, nil
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == '}' {
			break
		}
		return h, fmt.Errorf("offset %d: want ',' or '}' after a value", i)
	}
	if h.Type == "" {
		return h, errors.New("frame has no type")
	}
	return h, nil
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just after the JSON string starting at
// b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("offset %d: unterminated string", i)
}

// skipValue returns the index just after the JSON value starting at b[i]:
// a string, an object or array (brackets balanced, strings skipped), or a
// number or literal (up to the next delimiter).
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of frame: want a value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		var stack []byte
		for j := i; j < len(b); j++ {
			switch c := b[j]; c {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				stack = append(stack, c)
			case '}', ']':
				if len(stack) == 0 || stack[len(stack)-1] != c-2 { // '{'+2 == '}', '['+2 == ']'
					return 0, fmt.Errorf("offset %d: unbalanced %q", j, c)
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("offset %d: unterminated %q", i, b[i])
	case ',', '}', ']', ':':
		return 0, fmt.Errorf("offset %d: want a value, got %q", i, b[i])
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j, nil
}

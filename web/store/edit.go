package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes is the longest run name, in characters.
const MaxNameRunes = 80

// maxIDDigits bounds an id's text: int64 has at most 19 digits.
const maxIDDigits = 19

// ParseID parses a run id from outside input strictly: decimal digits only
// (no sign, spaces, leading zeros or other characters), at least 1 and at
// most the largest int64.
func ParseID(s string) (int64, error) {
	switch {
	case s == "":
		return 0, errors.New("run id: empty")
	case len(s) > maxIDDigits:
		return 0, fmt.Errorf("run id %.24q: too long", s)
	case s[0] == '0':
		return 0, fmt.Errorf("run id %q: must be a positive integer without leading zeros", s)
	}
	var id int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("run id %q: must be a positive integer", s)
		}
		d := int64(c - '0')
		if id > (1<<63-1-d)/10 {
			return 0, fmt.Errorf("run id %q: too large", s)
		}
		id = id*10 + d
	}
	return id, nil
}

// ValidateName checks a user-supplied run name and returns it with
// surrounding white space removed. A name is valid UTF-8 of at most
// MaxNameRunes characters without control characters or bidirectional
// formatting marks; an empty name is allowed (the UI then shows the id).
// Names are plain text: the UI escapes them when rendering.
func ValidateName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errors.New("run name: not valid UTF-8")
	}
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n > MaxNameRunes {
		return "", fmt.Errorf("run name: %d characters, at most %d allowed", n, MaxNameRunes)
	}
	for i, r := range name {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("run name: control character %U at byte %d", r, i)
		}
		if isBidi(r) {
			return "", fmt.Errorf("run name: bidirectional formatting character %U at byte %d", r, i)
		}
		if r == utf8.RuneError {
			return "", fmt.Errorf("run name: replacement character at byte %d", i)
		}
	}
	return name, nil
}

// isBidi reports whether r is an invisible bidirectional formatting
// character, which could make a name display differently from its text.
func isBidi(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F:
		return true
	case r >= 0x202A && r <= 0x202E:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// sanitizeName drops what ValidateName rejects from a generated name.
func sanitizeName(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidi(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s))
}

// truncName cuts s to MaxNameRunes characters.
func truncName(s string) string {
	if utf8.RuneCountInString(s) <= MaxNameRunes {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:MaxNameRunes-1])) + "…"
}

// Rename sets run id's name after ValidateName.
func (s *Store) Rename(id int64, name string) error {
	name, err := ValidateName(name)
	if err != nil {
		return err
	}
	res, err := s.db.Exec(`UPDATE runs SET name = ? WHERE id = ?`, name, id)
	if err != nil {
		return fmt.Errorf("store: rename run %d: %w", id, err)
	}
	return affected(res, id)
}

// Delete removes run id and all its series. A run still being recorded by
// this process cannot be deleted (ErrActive).
func (s *Store) Delete(id int64) error {
	if s.isActive(id) {
		return fmt.Errorf("%w (run %d)", ErrActive, id)
	}
	res, err := s.db.Exec(`DELETE FROM runs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete run %d: %w", id, err)
	}
	return affected(res, id)
}

// affected turns "no row changed" into ErrNotFound.
func affected(res interface{ RowsAffected() (int64, error) }, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return nil
}

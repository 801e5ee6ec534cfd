package store

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"1", 1, ""},
		{"42", 42, ""},
		{"9223372036854775807", 1<<63 - 1, ""},
		{"", 0, "empty"},
		{"0", 0, "leading zeros"},
		{"007", 0, "leading zeros"},
		{"-1", 0, "positive integer"},
		{"+1", 0, "positive integer"},
		{" 1", 0, "positive integer"},
		{"1 ", 0, "positive integer"},
		{"1e3", 0, "positive integer"},
		{"0x10", 0, "leading zeros"},
		{"../1", 0, "positive integer"},
		{"1/..", 0, "positive integer"},
		{"1.0", 0, "positive integer"},
		{"9223372036854775808", 0, "too large"},
		{"99999999999999999999", 0, "too long"},
		{"١٢", 0, "positive integer"}, // Arabic-Indic digits
	} {
		got, err := ParseID(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseID(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseID(%q) = %d, %v; want error containing %q", tc.in, got, err, tc.err)
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1", "0", "-5", "12x", "9223372036854775807", "9223372036854775808", "../etc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			if id != 0 {
				t.Errorf("ParseID(%q) returned %d with error %v", s, id, err)
			}
			return
		}
		if id < 1 || strconv.FormatInt(id, 10) != s {
			t.Errorf("ParseID(%q) = %d: not the canonical form", s, id)
		}
	})
}

func TestValidateName(t *testing.T) {
	long := strings.Repeat("é", MaxNameRunes)
	for _, tc := range []struct {
		in, want, err string
	}{
		{"topk vs random", "topk vs random", ""},
		{"  padded\u00a0", "padded", ""},
		{"", "", ""},
		{"<script>alert(1)</script>", "<script>alert(1)</script>", ""}, // escaped by the UI, not here
		{"emoji 🙂 and 漢字", "emoji 🙂 and 漢字", ""},
		{long, long, ""},
		{long + "x", "", "at most 80"},
		{"tab\there", "", "control character"},
		{"line\nbreak", "", "control character"},
		{"nul\x00", "", "control character"},
		{"del\x7f", "", "control character"},
		{"c1\u0085x", "", "control character"},
		{"evil\u202egnp.exe", "", "bidirectional"},
		{"iso\u2066late", "", "bidirectional"},
		{"bad\xffutf8", "", "UTF-8"},
		{"repl\ufffd", "", "replacement"},
	} {
		got, err := ValidateName(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("ValidateName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ValidateName(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
		}
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"run 1", "", " x ", "a\nb", "\u202e", "\xff", strings.Repeat("a", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ValidateName(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > MaxNameRunes || got != strings.TrimSpace(got) {
			t.Fatalf("ValidateName(%q) accepted %q", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || isBidi(r) {
				t.Fatalf("ValidateName(%q) accepted %q with %U", s, got, r)
			}
		}
		if again, err := ValidateName(got); err != nil || again != got {
			t.Fatalf("ValidateName not idempotent on %q: %q, %v", got, again, err)
		}
		// Generated names pass too.
		if _, err := ValidateName(truncName(sanitizeName(s))); err != nil {
			t.Fatalf("sanitized %q rejected: %v", s, err)
		}
	})
}

func TestRenameDelete(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	rec := s.NewRecorder(RecorderOptions{})
	publishRun(rec, 1, testConfig(1), 10, 5)
	publishRun(rec, 2, testConfig(2), 10, 5)
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	live := rec.RunID()
	runs, err := s.List()
	if err != nil || len(runs) != 2 {
		t.Fatalf("List: %v, %v", runs, err)
	}
	old := runs[1].ID

	if err := s.Rename(old, "  <b>baseline</b> "); err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Info(old); info.Name != "<b>baseline</b>" {
		t.Errorf("renamed to %q", info.Name)
	}
	if err := s.Rename(old, "bad\nname"); err == nil {
		t.Error("Rename accepted a newline")
	}
	if info, _ := s.Info(old); info.Name != "<b>baseline</b>" {
		t.Errorf("rejected rename changed the name to %q", info.Name)
	}
	if err := s.Rename(999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rename(999): %v", err)
	}

	if err := s.Delete(live); !errors.Is(err, ErrActive) {
		t.Errorf("Delete of the live run: %v", err)
	}
	if err := s.Delete(old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(old); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	for _, table := range []string{"metrics", "evals", "changes"} {
		var n int
		if err := s.db.QueryRow(`SELECT count(*) FROM `+table+` WHERE run = ?`, old).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s rows of the deleted run: %d, %v", table, n, err)
		}
	}
	if err := s.Delete(old); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
	if r, err := s.Get(live); err != nil || len(r.Metrics) != 20 {
		t.Errorf("other run after Delete: %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(live); err != nil {
		t.Errorf("Delete after the recorder closed: %v", err)
	}
}

package experiment

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// Parse reads text as a value of the field and checks it against the
// field's own range: an int64 (KindInt), a float64 (KindNumber), a string
// (KindChoice, KindText) or an []int (KindWidths). Every layer that takes a
// value from a person (a flag, a link key, a control message, the page)
// goes through it, so all refuse the same values with the same words. arm
// is the arm an arm field belongs to (for the error).
func (f *Field) Parse(text string, arm int) (any, error) {
	bad := func() error {
		return &FieldError{Field: f.Key, Arm: f.armOf(arm), Value: text, Want: f.Want(nil)}
	}
	switch f.Kind {
	case KindInt:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, bad()
		}
		if !f.inRange(float64(n)) {
			return nil, bad()
		}
		return n, nil
	case KindNumber:
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || !finite(v) || !f.inRange(v) {
			return nil, bad()
		}
		return v + 0, nil // -0 becomes 0
	case KindChoice:
		if !slices.Contains(f.Choices, text) && (f.accept == nil || !f.accept(text)) {
			return nil, bad()
		}
		return text, nil
	case KindText:
		if !validName(text) {
			return nil, bad()
		}
		return text, nil
	case KindWidths:
		parts := strings.Split(text, ",")
		if len(parts) > MaxLayers {
			return nil, bad()
		}
		out := make([]int, len(parts))
		for i, p := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || !f.inRange(float64(n)) {
				return nil, bad()
			}
			out[i] = n
		}
		return out, nil
	}
	return nil, bad()
}

// inRange reports whether v is within the field's own bounds (0 is, for a
// field whose 0 means the default).
func (f *Field) inRange(v float64) bool {
	if f.Kind == KindInt && f.Min == 0 && f.Max == 0 {
		return true // any whole number
	}
	if f.ZeroIsDefault && v == 0 {
		return true
	}
	if v < f.Min || v > f.Max || (f.MinOpen && v == f.Min) || (f.MaxOpen && v == f.Max) {
		return false
	}
	return true
}

// Want says what the field accepts, in the words of FieldError.Want. With
// a config, a bound by another field reads "K = 128"; without, "K".
func (f *Field) Want(c *Config) string { return f.wantAt(c, 0) }

// wantAt is Want for the field of arm arm (whose bounds are that arm's).
func (f *Field) wantAt(c *Config, arm int) string {
	switch f.Kind {
	case KindChoice:
		w := "one of " + strings.Join(f.Choices, ", ")
		if f.Key == "dataset" {
			w += " or " + data.CSVPrefix + "PATH"
		}
		return w
	case KindText:
		return fmt.Sprintf("printable text of at most %d bytes without spaces at either end", int(f.Max))
	case KindWidths:
		return fmt.Sprintf("1 to %d comma-separated widths, each between %s and %s (e.g. 256 or 16,16)", MaxLayers, shown(f.Min), shown(f.Max))
	}
	if f.Kind == KindInt && f.Min == 0 && f.Max == 0 {
		return "a whole number"
	}
	hi := shown(f.Max)
	if f.MaxField != "" {
		b := Lookup(f.MaxField)
		hi = b.Symbol
		if c != nil {
			if v, ok := b.Get(c, arm); ok && v != "0" {
				hi += " = " + v
			}
		}
	}
	var w string
	lo := shown(f.Min)
	switch {
	case f.MinOpen && f.MaxOpen:
		w = "greater than " + lo + " and less than " + hi
	case f.MinOpen:
		w = "greater than " + lo + " and at most " + hi
	case f.MaxOpen:
		w = "at least " + lo + " and less than " + hi
	default:
		w = "between " + lo + " and " + hi
	}
	if f.Kind == KindInt {
		w = "a whole number " + w
	}
	if f.Unit != "" {
		w += " " + f.Unit
	}
	switch {
	case f.Zero != "":
		w += " (0 = " + f.Zero + ")"
	case f.ZeroIsDefault && f.Default != "":
		w += ", or 0 for the default " + f.Default
	case f.ZeroIsDefault:
		w += ", or 0 for the default"
	}
	return w
}

// shown formats a bound for people: 1000000, not 1e+06.
func shown(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// validName reports whether s is an acceptable arm name: valid UTF-8,
// printable, at most MaxNameLen bytes, no white space at either end.
func validName(s string) bool {
	if !utf8.ValidString(s) || len(s) > MaxNameLen || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// check checks a stored value of the field in c against its range and
// the bounds by other fields; zero is accepted where it means the
// default.
func (f *Field) check(c *Config, arm int) error {
	text, ok := f.Get(c, arm)
	if !ok {
		return nil
	}
	fail := func() error {
		return &FieldError{Field: f.Key, Arm: f.armOf(arm), Value: text, Want: f.wantAt(c, arm)}
	}
	switch f.Kind {
	case KindChoice:
		if text == "" && f.Key != "dataset" {
			return nil // the default
		}
		if _, err := f.Parse(text, arm); err != nil {
			return fail()
		}
		return nil
	case KindText:
		if _, err := f.Parse(text, arm); err != nil {
			return fail()
		}
		return nil
	case KindWidths:
		if text == "" {
			return nil // the default
		}
		if _, err := f.Parse(text, arm); err != nil {
			return fail()
		}
		return nil
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fail()
	}
	if (f.ZeroIsDefault || f.ZeroUnset) && v == 0 {
		return nil
	}
	if !finite(v) || !f.inRange(v) {
		return fail()
	}
	if f.MaxField != "" {
		if bt, ok := Lookup(f.MaxField).Get(c, arm); ok {
			if b, err := strconv.ParseFloat(bt, 64); err == nil && b > 0 && v > b {
				return fail()
			}
		}
	}
	return nil
}

// Validate checks every field of c against the table and the few rules
// between fields, and returns a *FieldError for the first bad one. It does
// not fill defaults, so zero optional fields are accepted where zero means
// the default. K is checked against the training set by the trainer,
// which knows the data (see CheckData).
func (c Config) Validate() error {
	if len(c.Arms) > MaxArms {
		return &FieldError{Field: "arms", Arm: -1, Value: strconv.Itoa(len(c.Arms)), Want: "1 or 2 arms"}
	}
	for i := range fields {
		f := &fields[i]
		if !f.Arm {
			if err := f.check(&c, -1); err != nil {
				return err
			}
			continue
		}
		for arm := range c.Arms {
			if err := f.check(&c, arm); err != nil {
				return err
			}
		}
	}
	for arm, a := range c.Arms {
		if err := checkOffline(a, arm); err != nil {
			return err
		}
	}
	if c.Data.Name == "" {
		return &FieldError{Field: "dataset", Arm: -1, Want: Lookup("dataset").Want(nil)}
	}
	if pos, neg, ok := c.Data.ClassCounts(); ok && (pos < 2 || neg < 2) {
		return &FieldError{Field: "pos_frac", Arm: -1, Value: num(c.Data.PosFrac),
			Want: fmt.Sprintf("a share that leaves at least 2 positives and 2 negatives (it leaves %d and %d)", pos, neg)}
	}
	return nil
}

// checkOffline checks the offline strategy's rules between fields, with
// defaults filled in: Hard <= Pool and M <= Hard (each step trains on M of
// the hard examples).
func checkOffline(a ArmConfig, arm int) error {
	if a.Select.Strategy != ohem.Offline {
		return nil
	}
	d := a.Select.WithDefaults()
	if d.Hard > d.Pool {
		return &FieldError{Field: "hard", Arm: arm, Value: strconv.Itoa(d.Hard),
			Want: fmt.Sprintf("a whole number between 1 and pool = %d", d.Pool)}
	}
	if d.M > d.Hard {
		return &FieldError{Field: "m", Arm: arm, Value: strconv.Itoa(d.M),
			Want: fmt.Sprintf("a whole number between 1 and hard = %d (offline trains on M of its hard examples per step)", d.Hard)}
	}
	return nil
}

// CheckData checks the parts of a defaulted config that depend on the
// loaded training set of n examples: 1 <= K <= n and at least one arm.
func (c Config) CheckData(n int) error {
	if c.K < 1 || c.K > min(n, MaxK) {
		return &FieldError{Field: "k", Arm: -1, Value: strconv.Itoa(c.K),
			Want: fmt.Sprintf("a whole number between 1 and %d (the training set size)", min(n, MaxK))}
	}
	if len(c.Arms) < 1 {
		return &FieldError{Field: "arms", Arm: -1, Value: "0", Want: "1 or 2 arms"}
	}
	return nil
}

package experiment

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// Shareable links: a Config as a short, readable URL query string such as
// ?ds=mnist&s=topk&m=32&noise=0.1&b.s=random. Keys of the first arm are
// bare; the second arm's carry the prefix "b." and default to the first
// arm's values (except name and poslabel, which default as in a first
// arm), so a link names only what differs between the arms.
//
// Top-level keys: ds (dataset), n (2-D set size), dnoise (2-D geometric
// noise), pos (positives fraction), digit (mnist-detect's positive digit),
// test (test fraction), noise (label noise), h (hidden widths, comma
// separated), act, opt, mom (momentum), k, seed, eval (steps between
// evaluations), speed (steps per second cap).
//
// Arm keys: s (strategy), m, lr, exec, thresh, minkept, negpos, minneg,
// poslabel, beta, hist (selective's history), gamma and alpha (focal
// loss), name.

// maxLinkValue is the longest accepted value of one link key, in bytes.
const maxLinkValue = 256

// linkFields are the table's rows that have a link key, in table order
// (the order a query string shows them).
func linkFields() []*Field {
	var out []*Field
	for i := range fields {
		if fields[i].URL != "" {
			out = append(out, &fields[i])
		}
	}
	return out
}

// Query encodes c as a shareable link's query string. It writes ds always,
// the second arm's strategy (b.s) whenever there are two arms, and every
// other field only where c differs from Default of its dataset (for
// the second arm: from the first arm), dropping what ParseQuery would fill
// in anyway. ParseQuery(c.Query()) gives c.WithDefaults() back, except
// Data.Dir, which is not part of a link, arms beyond the second, and CSV
// datasets, which a link cannot carry (ds=csv, which ParseQuery rejects).
func (c Config) Query() url.Values {
	q := url.Values{}
	for _, p := range c.linkPairs() {
		q.Set(p[0], p[1])
	}
	return q
}

// QueryString is Query encoded with the keys in a fixed readable order
// (ds first, the second arm's keys last) rather than sorted, and commas
// left as they are, e.g. "ds=circle&h=64,32&s=random&b.s=topk".
func (c Config) QueryString() string {
	var b strings.Builder
	for i, p := range c.linkPairs() {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(linkEscape(p[0]))
		b.WriteByte('=')
		b.WriteString(linkEscape(p[1]))
	}
	return b.String()
}

// linkEscape query-escapes s but keeps commas, which are legal in a query
// and keep layer lists such as h=64,32 readable.
func linkEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "%2C", ",") }

// linkPairs returns the key/value pairs of c's link in display order.
func (c Config) linkPairs() [][2]string {
	want := c.WithDefaults()
	want.Data.Dir = ""
	if len(want.Arms) > MaxArms {
		want.Arms = want.Arms[:MaxArms]
	}
	ds := want.Data.Name
	full := allPairs(&want)
	ref := linkBase(ds).WithDefaults()
	var cand [][2]string
	for _, p := range full {
		f, arm := LookupURL(p[0])
		switch {
		case p[0] == "ds", p[0] == ArmPrefix+"s":
			cand = append(cand, p)
		case arm == 0:
			if v, _ := f.Get(&ref, 0); v != p[1] {
				cand = append(cand, p)
			}
		default: // second arm: compared with the first
			if v, _ := f.Get(&want, 0); v != p[1] {
				cand = append(cand, p)
			}
		}
	}
	if _, ok := want.Data.CSVPath(); ok {
		return cand // ParseQuery rejects it anyway: no round trip to check
	}
	if !linkGives(cand, want) {
		if !linkGives(full, want) {
			return full // not representable: the best effort
		}
		cand = full
	}
	// Drop every pair the rest already implies, last first.
	for i := len(cand) - 1; i >= 0; i-- {
		if cand[i][0] == "ds" || cand[i][0] == ArmPrefix+"s" {
			continue
		}
		trial := slices.Delete(slices.Clone(cand), i, i+1)
		if linkGives(trial, want) {
			cand = trial
		}
	}
	return cand
}

// allPairs lists every link field of c (defaulted) in display order.
func allPairs(c *Config) [][2]string {
	var out [][2]string
	for _, f := range linkFields() {
		if !f.Arm {
			v, _ := f.Get(c, -1)
			if f.Key == "dataset" {
				v = linkDataset(v)
			}
			out = append(out, [2]string{f.URL, v})
		}
	}
	for arm := 0; arm < len(c.Arms) && arm < MaxArms; arm++ {
		prefix := ""
		if arm == 1 {
			prefix = ArmPrefix
		}
		for _, f := range linkFields() {
			if f.Arm {
				v, _ := f.Get(c, arm)
				out = append(out, [2]string{prefix + f.URL, v})
			}
		}
	}
	// Empty values (nil pointers) and the zeros of fields not yet defaulted
	// cannot be written; they are the default.
	return slices.DeleteFunc(out, func(p [2]string) bool {
		f, _ := LookupURL(p[0])
		return p[1] == "" || (f.ZeroUnset && p[1] == "0")
	})
}

// linkGives reports whether parsing pairs yields want after defaults.
func linkGives(pairs [][2]string, want Config) bool {
	q := url.Values{}
	for _, p := range pairs {
		q.Set(p[0], p[1])
	}
	got, err := applyLink(q)
	return err == nil && reflect.DeepEqual(got.WithDefaults(), want)
}

// ParseQuery decodes a shareable link's query string into a Config: it
// starts from Default of the ds key's dataset (mnist when absent),
// applies every key, fills defaults and validates the result. It is strict:
// unknown or repeated keys, empty, non-numeric, non-finite or out-of-range
// values, and configs that fail Validate are errors naming the key. CSV
// datasets are rejected: a link cannot carry a file. Data.Dir is empty:
// the caller sets where MNIST lives.
func ParseQuery(q url.Values) (Config, error) {
	c, err := applyLink(q)
	if err != nil {
		return Config{}, err
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, linkError(err)
	}
	return c, nil
}

// applyLink checks the keys of q and applies them to the link's base
// config, without defaults or cross-field validation.
func applyLink(q url.Values) (Config, error) {
	keys := make([]string, 0, len(q))
	for key := range q {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	second := false
	for _, key := range keys {
		if f, _ := LookupURL(key); f == nil {
			return Config{}, &LinkError{Err: fmt.Errorf("unknown key %.40q: want one of %s", key, linkKeyNames())}
		}
		switch vs := q[key]; {
		case len(vs) > 1:
			return Config{}, &LinkError{Key: key, Err: fmt.Errorf("given %d times: want it once", len(vs))}
		case len(vs) == 0 || vs[0] == "":
			return Config{}, &LinkError{Key: key, Err: errors.New("no value")}
		case len(vs[0]) > maxLinkValue:
			return Config{}, &LinkError{Key: key, Err: fmt.Errorf("value of %d bytes is too long (at most %d)", len(vs[0]), maxLinkValue)}
		}
		if strings.HasPrefix(key, ArmPrefix) {
			second = true
		}
	}
	ds := data.MNIST
	if vs, ok := q["ds"]; ok {
		ds = vs[0]
		if err := checkLinkDataset(ds); err != nil {
			return Config{}, err
		}
	}
	c := linkBase(ds)
	set := func(prefix string, arm int, perArm bool) error {
		for _, f := range linkFields() {
			if f.Key == "dataset" || f.Arm != perArm {
				continue
			}
			vs, ok := q[prefix+f.URL]
			if !ok {
				continue
			}
			if err := f.Set(&c, arm, vs[0]); err != nil {
				return &LinkError{Key: prefix + f.URL, Err: err}
			}
		}
		return nil
	}
	if err := set("", -1, false); err != nil {
		return Config{}, err
	}
	if err := set("", 0, true); err != nil {
		return Config{}, err
	}
	if second {
		b := c.Arms[0]
		b.Name = ""
		b.Select.Positive = nil
		c.Arms = append(c.Arms[:1], b)
		if err := set(ArmPrefix, 1, true); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// linkBase is the config a link starts from: DefaultConfig with one arm
// whose name, when it is just the strategy, is left to WithDefaults (so
// that a link changing the strategy renames the arm too).
func linkBase(ds string) Config {
	c := Default(ds)
	if len(c.Arms) == 0 {
		c.Arms = []ArmConfig{{}}
	}
	c.Arms = c.Arms[:1:1]
	if c.Arms[0].Name == c.Arms[0].Select.Strategy {
		c.Arms[0].Name = ""
	}
	c.Data.Dir = ""
	return c
}

// checkLinkDataset accepts the built-in dataset names.
func checkLinkDataset(ds string) error {
	if ds == "csv" || strings.HasPrefix(ds, data.CSVPrefix) {
		return &LinkError{Key: "ds", Err: errors.New("a link cannot carry a CSV file: upload the file again and choose the settings")}
	}
	if !slices.Contains(data.Names, ds) {
		return &LinkError{Key: "ds", Err: &FieldError{Field: "dataset", Arm: -1, Value: ds, Want: "one of " + strings.Join(data.Names, ", ")}}
	}
	return nil
}

// linkDataset is a dataset's link value: CSV files show only "csv".
func linkDataset(name string) string {
	if strings.HasPrefix(name, data.CSVPrefix) {
		return "csv"
	}
	return name
}

// linkKeyNames lists the known keys for error messages.
func linkKeyNames() string {
	var names []string
	for _, f := range linkFields() {
		names = append(names, f.URL)
	}
	return strings.Join(names, ", ") + " (second arm: " + ArmPrefix + "s, " + ArmPrefix + "m, ...)"
}

// LinkError is a refused shareable link: the key it concerns ("" for the
// link as a whole) and why, often a *FieldError.
type LinkError struct {
	Key string
	Err error
}

func (e *LinkError) Error() string {
	if e.Key == "" {
		return "link: " + e.Err.Error()
	}
	return "link: key " + e.Key + ": " + e.Err.Error()
}

func (e *LinkError) Unwrap() error { return e.Err }

// linkError names the link key behind a Validate error.
func linkError(err error) error {
	fe := AsFieldError(err)
	if fe == nil {
		return &LinkError{Err: err}
	}
	f := Lookup(fe.Field)
	if f == nil || f.URL == "" {
		return &LinkError{Err: err}
	}
	key := f.URL
	if fe.Arm == 1 {
		key = ArmPrefix + key
	}
	return &LinkError{Key: key, Err: err}
}

package trainer

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ohemlab/ohemlab/ohem"
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
// poslabel, beta, hist (selective's history), refresh, pool and hard
// (offline), gamma and alpha (focal loss), name.

// ArmPrefix starts the link keys of the second arm.
const ArmPrefix = "b."

// maxLinkValue is the longest accepted value of one link key, in bytes.
const maxLinkValue = 256

// linkKey is one key of a shareable link: how to read the field from a
// Config and how to set it from text.
type linkKey struct {
	key  string
	path string // the field's name in Validate's messages, e.g. "data.noise" or "m"
	arm  bool   // per arm: the second arm's key has ArmPrefix
	get  func(c *Config, a *ArmConfig) string
	set  func(c *Config, a *ArmConfig, v string) error
}

// linkKeys lists the keys in the order a query string shows them.
var linkKeys = []linkKey{
	{key: "ds", path: "data.name",
		get: func(c *Config, _ *ArmConfig) string { return linkDataset(c.Data.Name) },
		set: func(c *Config, _ *ArmConfig, v string) error { c.Data.Name = v; return nil }},
	{key: "n", path: "data.size",
		get: func(c *Config, _ *ArmConfig) string { return strconv.Itoa(c.Data.Size) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setInt(&c.Data.Size, v, 0, data.MaxSize) }},
	{key: "dnoise", path: "data.noise",
		get: func(c *Config, _ *ArmConfig) string { return linkFloat(c.Data.Noise) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setFloat(&c.Data.Noise, v, 0, data.MaxNoise) }},
	{key: "pos", path: "data.pos_frac",
		get: func(c *Config, _ *ArmConfig) string { return linkFloat(c.Data.PosFrac) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setFloat(&c.Data.PosFrac, v, 0, 1) }},
	{key: "digit", path: "data.pos_digit",
		get: func(c *Config, _ *ArmConfig) string { return linkIntPtr(c.Data.PosDigit) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setIntPtr(&c.Data.PosDigit, v, 0, 9) }},
	{key: "test", path: "data.test_frac",
		get: func(c *Config, _ *ArmConfig) string { return linkFloat(c.Data.TestFrac) },
		set: func(c *Config, _ *ArmConfig, v string) error {
			return setFloat(&c.Data.TestFrac, v, 0, data.MaxTestFrac)
		}},
	{key: "noise", path: "data.label_noise",
		get: func(c *Config, _ *ArmConfig) string { return linkFloat(c.Data.LabelNoise) },
		set: func(c *Config, _ *ArmConfig, v string) error {
			return setFloat(&c.Data.LabelNoise, v, 0, data.MaxLabelNoise)
		}},
	{key: "h", path: "model.hidden",
		get: func(c *Config, _ *ArmConfig) string { return linkInts(c.Model.Hidden) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setInts(&c.Model.Hidden, v) }},
	{key: "act", path: "model.activation",
		get: func(c *Config, _ *ArmConfig) string { return c.Model.Activation },
		set: func(c *Config, _ *ArmConfig, v string) error {
			return setEnum(&c.Model.Activation, v, ActReLU, ActTanh)
		}},
	{key: "opt", path: "model.optimizer",
		get: func(c *Config, _ *ArmConfig) string { return c.Model.Optimizer },
		set: func(c *Config, _ *ArmConfig, v string) error {
			return setEnum(&c.Model.Optimizer, v, OptSGD, OptAdam)
		}},
	{key: "mom", path: "model.momentum",
		get: func(c *Config, _ *ArmConfig) string { return linkFloat(c.Model.Momentum) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setFloat(&c.Model.Momentum, v, 0, 1) }},
	{key: "k", path: "k",
		get: func(c *Config, _ *ArmConfig) string { return strconv.Itoa(c.K) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setInt(&c.K, v, 1, MaxK) }},
	{key: "seed", path: "seed",
		get: func(c *Config, _ *ArmConfig) string { return strconv.FormatInt(c.Seed, 10) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setInt64(&c.Seed, v) }},
	{key: "eval", path: "eval_every",
		get: func(c *Config, _ *ArmConfig) string { return strconv.Itoa(c.EvalEvery) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setInt(&c.EvalEvery, v, 1, MaxEvalEvery) }},
	{key: "speed", path: "speed_cap",
		get: func(c *Config, _ *ArmConfig) string { return linkFloat(c.SpeedCap) },
		set: func(c *Config, _ *ArmConfig, v string) error { return setFloat(&c.SpeedCap, v, 0, MaxSpeedCap) }},

	{key: "s", path: "strategy", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return a.Select.Strategy },
		set: func(_ *Config, a *ArmConfig, v string) error {
			return setEnum(&a.Select.Strategy, v, ohem.Strategies...)
		}},
	{key: "m", path: "m", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return strconv.Itoa(a.Select.M) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setInt(&a.Select.M, v, 1, MaxK) }},
	{key: "lr", path: "lr", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return linkFloat(a.LR) },
		set: func(_ *Config, a *ArmConfig, v string) error {
			if err := setFloat(&a.LR, v, 0, MaxLR); err != nil {
				return err
			}
			if a.LR == 0 {
				return fmt.Errorf("0 is out of range: want 0 < lr <= %v", MaxLR)
			}
			return nil
		}},
	{key: "exec", path: "exec", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return a.Exec },
		set: func(_ *Config, a *ArmConfig, v string) error { return setEnum(&a.Exec, v, ExecTwoPass, ExecMask) }},
	{key: "thresh", path: "thresh", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return linkFloat(a.Select.Thresh) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setFloat(&a.Select.Thresh, v, 0, 1) }},
	{key: "minkept", path: "min_kept", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return strconv.Itoa(a.Select.MinKept) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setInt(&a.Select.MinKept, v, 0, MaxK) }},
	{key: "negpos", path: "neg_pos", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return linkFloat(a.Select.NegPos) },
		set: func(_ *Config, a *ArmConfig, v string) error {
			return setFloat(&a.Select.NegPos, v, 0, ohem.MaxNegPos)
		}},
	{key: "minneg", path: "min_neg", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return strconv.Itoa(a.Select.MinNeg) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setInt(&a.Select.MinNeg, v, 0, MaxK) }},
	{key: "poslabel", path: "positive", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return linkIntPtr(a.Select.Positive) },
		set: func(_ *Config, a *ArmConfig, v string) error {
			return setIntPtr(&a.Select.Positive, v, 0, maxLinkLabel)
		}},
	{key: "beta", path: "beta", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return linkFloat(a.Select.Beta) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setFloat(&a.Select.Beta, v, 0, ohem.MaxBeta) }},
	{key: "hist", path: "history", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return strconv.Itoa(a.Select.History) },
		set: func(_ *Config, a *ArmConfig, v string) error {
			return setInt(&a.Select.History, v, 0, ohem.MaxHistory)
		}},
	{key: "refresh", path: "refresh", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return strconv.Itoa(a.Select.Refresh) },
		set: func(_ *Config, a *ArmConfig, v string) error {
			return setInt(&a.Select.Refresh, v, 0, ohem.MaxRefresh)
		}},
	{key: "pool", path: "pool", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return strconv.Itoa(a.Select.Pool) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setInt(&a.Select.Pool, v, 0, ohem.MaxPool) }},
	{key: "hard", path: "hard", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return strconv.Itoa(a.Select.Hard) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setInt(&a.Select.Hard, v, 0, ohem.MaxPool) }},
	{key: "gamma", path: "focal_gamma", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return linkFloat(a.FocalGamma) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setFloat(&a.FocalGamma, v, 0, MaxGamma) }},
	{key: "alpha", path: "focal_alpha", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return linkFloat(a.FocalAlpha) },
		set: func(_ *Config, a *ArmConfig, v string) error { return setFloat(&a.FocalAlpha, v, 0, 1) }},
	{key: "name", path: "name", arm: true,
		get: func(_ *Config, a *ArmConfig) string { return a.Name },
		set: func(_ *Config, a *ArmConfig, v string) error { return setName(&a.Name, v) }},
}

// maxLinkLabel is the largest class label a link may name as positive.
const maxLinkLabel = 65535

// Query encodes c as a shareable link's query string. It writes ds always,
// the second arm's strategy (b.s) whenever there are two arms, and every
// other field only where c differs from DefaultConfig of its dataset (for
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
		k := linkKeyOf(p[0])
		switch {
		case p[0] == "ds", p[0] == ArmPrefix+"s":
			cand = append(cand, p)
		case !k.arm:
			if k.get(&ref, nil) != p[1] {
				cand = append(cand, p)
			}
		case !strings.HasPrefix(p[0], ArmPrefix):
			if k.get(&ref, &ref.Arms[0]) != p[1] {
				cand = append(cand, p)
			}
		default: // second arm: compared with the first
			if k.get(&want, &want.Arms[0]) != p[1] {
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
	for _, k := range linkKeys {
		if !k.arm {
			out = append(out, [2]string{k.key, k.get(c, nil)})
		}
	}
	for arm := 0; arm < len(c.Arms) && arm < MaxArms; arm++ {
		prefix := ""
		if arm == 1 {
			prefix = ArmPrefix
		}
		for _, k := range linkKeys {
			if k.arm {
				out = append(out, [2]string{prefix + k.key, k.get(c, &c.Arms[arm])})
			}
		}
	}
	// Empty values (nil pointers) cannot be written; they are the default.
	return slices.DeleteFunc(out, func(p [2]string) bool { return p[1] == "" })
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
// starts from DefaultConfig of the ds key's dataset (mnist when absent),
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
		return Config{}, linkError(q, err)
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
		if linkKeyOf(key) == nil {
			return Config{}, fmt.Errorf("link: unknown key %.40q: want one of %s", key, linkKeyNames())
		}
		switch vs := q[key]; {
		case len(vs) > 1:
			return Config{}, fmt.Errorf("link: key %s given %d times: want it once", key, len(vs))
		case len(vs) == 0 || vs[0] == "":
			return Config{}, fmt.Errorf("link: key %s has no value", key)
		case len(vs[0]) > maxLinkValue:
			return Config{}, fmt.Errorf("link: key %s: value of %d bytes is too long (at most %d)", key, len(vs[0]), maxLinkValue)
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
	set := func(prefix string, arm *ArmConfig, perArm bool) error {
		for _, k := range linkKeys {
			if k.key == "ds" || k.arm != perArm {
				continue
			}
			vs, ok := q[prefix+k.key]
			if !ok {
				continue
			}
			if err := k.set(&c, arm, vs[0]); err != nil {
				return fmt.Errorf("link: key %s: %v", prefix+k.key, err)
			}
		}
		return nil
	}
	if err := set("", nil, false); err != nil {
		return Config{}, err
	}
	if err := set("", &c.Arms[0], true); err != nil {
		return Config{}, err
	}
	if second {
		b := c.Arms[0]
		b.Name = ""
		b.Select.Positive = nil
		c.Arms = append(c.Arms[:1], b)
		if err := set(ArmPrefix, &c.Arms[1], true); err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// linkBase is the config a link starts from: DefaultConfig with one arm
// whose name, when it is just the strategy, is left to WithDefaults (so
// that a link changing the strategy renames the arm too).
func linkBase(ds string) Config {
	c := DefaultConfig(ds)
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
		return fmt.Errorf("link: key ds: a link cannot carry a CSV file: upload the file again and choose the settings")
	}
	if !slices.Contains(data.Names, ds) {
		return fmt.Errorf("link: key ds: unknown dataset %.40q: want one of %s", ds, strings.Join(data.Names, ", "))
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

// linkKeyOf returns the key's entry, or nil for an unknown key.
func linkKeyOf(key string) *linkKey {
	bare, second := strings.CutPrefix(key, ArmPrefix)
	for i := range linkKeys {
		if linkKeys[i].key == bare && (!second || linkKeys[i].arm) {
			return &linkKeys[i]
		}
	}
	return nil
}

// linkKeyNames lists the known keys for error messages.
func linkKeyNames() string {
	names := make([]string, 0, len(linkKeys)+1)
	for _, k := range linkKeys {
		names = append(names, k.key)
	}
	return strings.Join(names, ", ") + " (second arm: " + ArmPrefix + "s, " + ArmPrefix + "m, ...)"
}

// linkError names the link key behind a Validate error when it can.
func linkError(q url.Values, err error) error {
	msg := err.Error()
	path := msg
	if i := strings.IndexAny(path, " :"); i >= 0 {
		path = path[:i]
	}
	prefix := ""
	rest, armErr := strings.CutPrefix(path, "arms[")
	if armErr {
		if strings.HasPrefix(rest, "1]") {
			prefix = ArmPrefix
		}
		if i := strings.Index(rest, "]."); i >= 0 {
			path = rest[i+2:]
		}
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	for _, k := range linkKeys {
		if k.path == path && k.arm == armErr {
			return fmt.Errorf("link: key %s: %v", prefix+k.key, err)
		}
	}
	return fmt.Errorf("link: %v", err)
}

// linkFloat formats a float in the shortest form that parses back exactly.
func linkFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// linkIntPtr formats an optional int; nil is the empty string.
func linkIntPtr(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// linkInts formats a list of ints comma separated.
func linkInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// setInt parses a decimal integer in [lo, hi].
func setInt(dst *int, v string, lo, hi int) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%.40q is not an integer", v)
	}
	if n < int64(lo) || n > int64(hi) {
		return fmt.Errorf("%d is out of range [%d, %d]", n, lo, hi)
	}
	*dst = int(n)
	return nil
}

// setIntPtr parses a decimal integer in [lo, hi] into a new int.
func setIntPtr(dst **int, v string, lo, hi int) error {
	var n int
	if err := setInt(&n, v, lo, hi); err != nil {
		return err
	}
	*dst = &n
	return nil
}

// setInt64 parses any decimal int64.
func setInt64(dst *int64, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%.40q is not an integer in [%d, %d]", v, math.MinInt64, math.MaxInt64)
	}
	*dst = n
	return nil
}

// setFloat parses a finite decimal number in [lo, hi].
func setFloat(dst *float64, v string, lo, hi float64) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%.40q is not a finite number", v)
	}
	if f < lo || f > hi {
		return fmt.Errorf("%v is out of range [%v, %v]", f, lo, hi)
	}
	*dst = f + 0 // normalises -0 to 0
	return nil
}

// setInts parses comma-separated layer widths.
func setInts(dst *[]int, v string) error {
	parts := strings.Split(v, ",")
	if len(parts) > MaxLayers {
		return fmt.Errorf("%d layers: at most %d", len(parts), MaxLayers)
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		if err := setInt(&out[i], p, 1, MaxWidth); err != nil {
			return fmt.Errorf("layer %d: %v", i+1, err)
		}
	}
	*dst = out
	return nil
}

// setEnum accepts one of the allowed values.
func setEnum(dst *string, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("unknown value %.40q: want one of %s", v, strings.Join(allowed, ", "))
	}
	*dst = v
	return nil
}

// setName accepts an arm name: printable text of at most MaxNameLen bytes.
func setName(dst *string, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("not valid UTF-8")
	}
	if len(v) > MaxNameLen {
		return fmt.Errorf("%d bytes: at most %d", len(v), MaxNameLen)
	}
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("%.40q has surrounding white space", v)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) && r != ' ' {
			return fmt.Errorf("%.40q has the unprintable character %U", v, r)
		}
	}
	*dst = v
	return nil
}

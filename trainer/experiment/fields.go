package experiment

import (
	"math"
	"strconv"
	"strings"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// Kind is how a field's value is written.
type Kind string

// Field kinds.
const (
	// KindInt is a whole number.
	KindInt Kind = "int"
	// KindNumber is a finite decimal number.
	KindNumber Kind = "number"
	// KindChoice is one of the field's Choices.
	KindChoice Kind = "choice"
	// KindText is printable text (an arm's name).
	KindText Kind = "text"
	// KindWidths is a comma-separated list of hidden layer widths.
	KindWidths Kind = "widths"
)

// Field is one row of the experiment's field table: everything any layer
// needs to know about one setting. Adding a setting means adding a row
// (and, for a live one, a Change field with the row's Key as its JSON
// name) plus its behaviour in the trainer.
type Field struct {
	// Key names the field everywhere a program does: the JSON key of a
	// Change and of control messages, FieldError.Field, the page input's
	// data-field and the schema served to the page.
	Key string `json:"key"`
	// Path is where a Config's JSON holds it, e.g. "data.label_noise" or
	// "arms[].select.m" ("" for ratio, which is not stored).
	Path string `json:"path,omitempty"`
	// Flag is the command-line flag without dashes ("" = none).
	Flag string `json:"flag,omitempty"`
	// URL is the shareable link's key ("" = none); the second arm's key
	// has ArmPrefix.
	URL string `json:"url,omitempty"`
	// Label is the name a person reads, e.g. "M (kept)".
	Label string `json:"label"`
	// Symbol is the short name other fields' bounds use, e.g. "K".
	Symbol string `json:"symbol,omitempty"`
	// Unit follows the value in messages and on the page, e.g. "steps/s".
	Unit string `json:"unit,omitempty"`
	// Kind is how the value is written.
	Kind Kind `json:"kind"`
	// Min and Max bound a number (KindInt, KindNumber; for KindWidths each
	// width); MinOpen and MaxOpen exclude the bound itself. Min = Max = 0
	// on a KindInt field means any whole number.
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	MinOpen bool    `json:"min_open,omitempty"`
	MaxOpen bool    `json:"max_open,omitempty"`
	// MaxField is the Key of a field whose value also bounds this one from
	// above (M and min_kept are at most K).
	MaxField string `json:"max_field,omitempty"`
	// Step is the page input's step (0: any).
	Step float64 `json:"step,omitempty"`
	// Choices are the values of a KindChoice field.
	Choices []string `json:"choices,omitempty"`
	// ZeroIsDefault: 0 means the default, in a Config and from every
	// layer (the field's own range excludes 0).
	ZeroIsDefault bool `json:"zero_is_default,omitempty"`
	// ZeroUnset: a Config not yet through WithDefaults may hold 0, which
	// Validate accepts; a value a person gives must be in range.
	ZeroUnset bool `json:"-"`
	// Zero says what 0 means when it is a value in range ("no cap").
	Zero string `json:"zero,omitempty"`
	// Default is the default as text; "" when the dataset's preset
	// decides.
	Default string `json:"default,omitempty"`
	// Help is the command line's one-line description.
	Help string `json:"help"`
	// Live fields change between two batches (they are in Change); the
	// others restart training.
	Live bool `json:"live"`
	// Arm fields belong to one arm.
	Arm bool `json:"arm"`

	// ref returns a pointer to the field's storage in c (or, for an arm
	// field, in a): *int, *int64, **int, *float64, *string or *[]int. nil
	// for a field that is not stored (ratio sets M).
	ref func(c *Config, a *ArmConfig) any
	// accept admits a KindChoice value outside Choices (csv:PATH).
	accept func(v string) bool
}

// ArmPrefix starts the link keys of the second arm.
const ArmPrefix = "b."

// fields is the table, in the order the command line's help, the links
// and the schema list them.
var fields = []Field{
	{Key: "dataset", Path: "data.name", Flag: "dataset", URL: "ds", Label: "Dataset", Kind: KindChoice,
		Choices: data.Names, Default: data.MNIST,
		Help: "dataset (" + data.CSVPrefix + "PATH: a CSV file, last column the label)",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Data.Name },
		accept: func(v string) bool {
			return strings.HasPrefix(v, data.CSVPrefix) && len(v) > len(data.CSVPrefix)
		}},
	{Key: "size", Path: "data.size", Flag: "size", URL: "n", Label: "Points", Kind: KindInt,
		Min: data.MinSize, Max: data.MaxSize, Step: 1, ZeroIsDefault: true, Default: strconv.Itoa(data.DefaultSize),
		Help: "points of a 2-D set, train and test together",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Data.Size }},
	{Key: "noise", Path: "data.noise", Flag: "noise", URL: "dnoise", Label: "Point noise", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: data.MaxNoise, Step: 0.01, ZeroIsDefault: true,
		Help: "geometric noise of a 2-D set (default: the set's own)",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Data.Noise }},
	{Key: "pos_frac", Path: "data.pos_frac", Flag: "pos-frac", URL: "pos", Label: "Positives share", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: 1, MaxOpen: true, Step: 0.01, ZeroIsDefault: true,
		Help: "share of positives of mnist-detect and the 2-D sets (default: the dataset's)",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Data.PosFrac }},
	{Key: "pos_digit", Path: "data.pos_digit", Flag: "pos-digit", URL: "digit", Label: "Positive digit", Kind: KindInt,
		Min: 0, Max: 9, Step: 1, Default: strconv.Itoa(data.DefaultPosDigit),
		Help: "mnist-detect's positive digit",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Data.PosDigit }},
	{Key: "test_frac", Path: "data.test_frac", Flag: "test-frac", URL: "test", Label: "Test share", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: data.MaxTestFrac, Step: 0.05, ZeroIsDefault: true, Default: num(data.DefaultTestFrac),
		Help: "test share of a 2-D or CSV set",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Data.TestFrac }},
	{Key: "label_noise", Path: "data.label_noise", Flag: "label-noise", URL: "noise", Label: "Label noise", Kind: KindNumber,
		Min: 0, Max: data.MaxLabelNoise, Step: 0.05, Default: "0",
		Help: "share of training labels flipped (the flipped ones are recorded)",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Data.LabelNoise }},
	{Key: "hidden", Path: "model.hidden", Flag: "hidden", URL: "h", Label: "Hidden layers", Kind: KindWidths,
		Min: 1, Max: MaxWidth,
		Help: "hidden layer widths, comma separated (default 256 for MNIST, 16,16 for 2-D sets)",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Model.Hidden }},
	{Key: "activation", Path: "model.activation", Flag: "activation", URL: "act", Label: "Activation", Kind: KindChoice,
		Choices: []string{ActReLU, ActTanh}, Default: ActReLU,
		Help: "hidden activation",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Model.Activation }},
	{Key: "optimizer", Path: "model.optimizer", Flag: "optimizer", URL: "opt", Label: "Optimiser", Kind: KindChoice,
		Choices: []string{OptSGD, OptAdam},
		Help:    "optimiser (default sgd for MNIST, adam for 2-D sets)",
		ref:     func(c *Config, _ *ArmConfig) any { return &c.Model.Optimizer }},
	{Key: "momentum", Path: "model.momentum", Flag: "momentum", URL: "mom", Label: "Momentum", Kind: KindNumber,
		Min: 0, Max: 1, MaxOpen: true, Step: 0.05, Default: "0",
		Help: "SGD momentum",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Model.Momentum }},
	{Key: "k", Path: "k", Flag: "k", URL: "k", Label: "K (batch)", Symbol: "K", Kind: KindInt,
		Min: 1, Max: MaxK, Step: 1, ZeroUnset: true, Live: true,
		Help: "batch size K, at most the training set (default 128 for MNIST, 32 for 2-D sets)",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.K }},
	{Key: "seed", Path: "seed", Flag: "seed", URL: "seed", Label: "Seed", Kind: KindInt,
		Min: -MaxSeed, Max: MaxSeed, Step: 1, Default: "1",
		Help: "seed of data, label noise, batch order, weights and selectors",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.Seed }},
	{Key: "eval_every", Path: "eval_every", Flag: "eval-every", URL: "eval", Label: "Evaluate every", Unit: "steps", Kind: KindInt,
		Min: 1, Max: MaxEvalEvery, Step: 1, ZeroUnset: true, Live: true, Default: strconv.Itoa(DefaultEvalEvery),
		Help: "steps between evaluations on the test set",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.EvalEvery }},
	{Key: "speed_cap", Path: "speed_cap", Flag: "speed-cap", URL: "speed", Label: "Speed cap", Unit: "steps/s", Kind: KindNumber,
		Min: 0, Max: MaxSpeedCap, Step: 1, Zero: "no cap", Live: true, Default: "0",
		Help: "limit training to this many steps per second",
		ref:  func(c *Config, _ *ArmConfig) any { return &c.SpeedCap }},

	{Key: "strategy", Path: "arms[].select.strategy", Flag: "strategy", URL: "s", Label: "Strategy", Kind: KindChoice,
		Choices: ohem.Strategies, Default: ohem.TopK, Live: true, Arm: true,
		Help: "selection strategy",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.Strategy }},
	{Key: "m", Path: "arms[].select.m", Flag: "m", URL: "m", Label: "M (kept)", Symbol: "M", Kind: KindInt,
		Min: 1, Max: MaxK, MaxField: "k", Step: 1, ZeroUnset: true, Live: true, Arm: true,
		Help: "examples kept per batch (default K/4: 32 for MNIST)",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.M }},
	{Key: "ratio", Flag: "ratio", Label: "Kept share", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: 1, Step: 0.05, Live: true, Arm: true,
		Help: "kept share of the batch: sets M = max(1, int(ratio*K)) (instead of M)"},
	{Key: "lr", Path: "arms[].lr", Flag: "lr", URL: "lr", Label: "Learning rate", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: MaxLR, Step: 0.01, ZeroUnset: true, Live: true, Arm: true,
		Help: "learning rate (default 0.1 for MNIST, 0.01 for 2-D sets)",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.LR }},
	{Key: "exec", Path: "arms[].exec", Flag: "exec", URL: "exec", Label: "Exec", Kind: KindChoice,
		Choices: []string{ExecTwoPass, ExecMask}, Default: ExecTwoPass, Live: true, Arm: true,
		Help: "OHEM execution: twopass (forward over K, backward over the M kept) or mask (one pass with a 0/weight mask)",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Exec }},
	{Key: "thresh", Path: "arms[].select.thresh", Flag: "thresh", URL: "thresh", Label: "Threshold p", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: 1, Step: 0.05, ZeroIsDefault: true, Default: num(ohem.DefaultThresh), Live: true, Arm: true,
		Help: "threshold strategy: keep the examples whose true-class probability is below this",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.Thresh }},
	{Key: "min_kept", Path: "arms[].select.min_kept", Flag: "min-kept", URL: "minkept", Label: "Min kept", Kind: KindInt,
		Min: 0, Max: MaxK, MaxField: "k", Step: 1, Zero: "M", Live: true, Arm: true, Default: "0",
		Help: "threshold strategy: keep at least this many",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.MinKept }},
	{Key: "neg_pos", Path: "arms[].select.neg_pos", Flag: "neg-pos", URL: "negpos", Label: "Neg : pos", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: ohem.MaxNegPos, Step: 0.5, ZeroIsDefault: true, Default: num(ohem.DefaultNegPos), Live: true, Arm: true,
		Help: "hardneg strategy: negatives kept per positive",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.NegPos }},
	{Key: "min_neg", Path: "arms[].select.min_neg", Flag: "min-neg", URL: "minneg", Label: "Min negatives", Kind: KindInt,
		Min: 1, Max: MaxK, Step: 1, ZeroIsDefault: true, Default: strconv.Itoa(ohem.DefaultMinNeg), Live: true, Arm: true,
		Help: "hardneg strategy: keep at least this many negatives",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.MinNeg }},
	{Key: "positive", Path: "arms[].select.positive", URL: "poslabel", Label: "Positive label", Kind: KindInt,
		Min: 0, Max: MaxLabel, Step: 1, Default: strconv.Itoa(ohem.DefaultPositive), Arm: true,
		Help: "hardneg strategy: the label counted as positive",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.Positive }},
	{Key: "beta", Path: "arms[].select.beta", Flag: "beta", URL: "beta", Label: "β (selective)", Kind: KindNumber,
		Min: 0, MinOpen: true, Max: ohem.MaxBeta, Step: 0.5, ZeroIsDefault: true, Default: num(ohem.DefaultBeta), Live: true, Arm: true,
		Help: "selective strategy: exponent on the loss percentile",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.Beta }},
	{Key: "history", Path: "arms[].select.history", URL: "hist", Label: "History", Unit: "losses", Kind: KindInt,
		Min: 1, Max: ohem.MaxHistory, Step: 1, ZeroIsDefault: true, Default: strconv.Itoa(ohem.DefaultHistory), Arm: true,
		Help: "selective strategy: losses in the rolling history",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.History }},
	{Key: "refresh", Path: "arms[].select.refresh", Flag: "refresh", URL: "refresh", Label: "Refresh", Unit: "steps", Kind: KindInt,
		Min: 1, Max: ohem.MaxRefresh, Step: 10, ZeroIsDefault: true, Default: strconv.Itoa(ohem.DefaultRefresh), Live: true, Arm: true,
		Help: "offline strategy: steps between two scans of the pool",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.Refresh }},
	{Key: "pool", Path: "arms[].select.pool", Flag: "pool", URL: "pool", Label: "Pool", Symbol: "pool", Unit: "examples", Kind: KindInt,
		Min: 1, Max: ohem.MaxPool, Step: 500, ZeroIsDefault: true, Default: strconv.Itoa(ohem.DefaultPool), Live: true, Arm: true,
		Help: "offline strategy: training examples scored per scan, forward only",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.Pool }},
	{Key: "hard", Path: "arms[].select.hard", Flag: "hard", URL: "hard", Label: "Hard", Unit: "examples", Kind: KindInt,
		Min: 1, Max: ohem.MaxPool, MaxField: "pool", Step: 100, ZeroIsDefault: true, Default: "a quarter of the pool", Live: true, Arm: true,
		Help: "offline strategy: hardest pool examples kept, each step trains on M of them",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Select.Hard }},
	{Key: "focal_gamma", Path: "arms[].focal_gamma", Flag: "focal-gamma", URL: "gamma", Label: "Focal γ", Kind: KindNumber,
		Min: 0, Max: MaxGamma, Step: 0.5, Zero: "off", Live: true, Arm: true, Default: "0",
		Help: "focal loss gamma (2 is usual)",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.FocalGamma }},
	{Key: "focal_alpha", Path: "arms[].focal_alpha", Flag: "focal-alpha", URL: "alpha", Label: "Focal α", Kind: KindNumber,
		Min: 0, Max: 1, MaxOpen: true, Step: 0.05, Zero: "off", Live: true, Arm: true, Default: "0",
		Help: "focal loss alpha: weight of class 1, the others get 1-alpha",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.FocalAlpha }},
	{Key: "name", Path: "arms[].name", URL: "name", Label: "Arm name", Kind: KindText,
		Max: MaxNameLen, Arm: true,
		Help: "the arm's name in charts and reports (default: its strategy)",
		ref:  func(_ *Config, a *ArmConfig) any { return &a.Name }},
}

// Fields returns the field table in its order. The rows are copies:
// changing them changes nothing.
func Fields() []Field { return append([]Field(nil), fields...) }

// Lookup returns the row with the given Key, or nil.
func Lookup(key string) *Field {
	for i := range fields {
		if fields[i].Key == key {
			return &fields[i]
		}
	}
	return nil
}

// LookupFlag returns the row set by the command-line flag name (without
// dashes), or nil.
func LookupFlag(flag string) *Field {
	for i := range fields {
		if fields[i].Flag != "" && fields[i].Flag == flag {
			return &fields[i]
		}
	}
	return nil
}

// LookupURL returns the row of a link key (the second arm's keys with
// ArmPrefix) and the arm it sets, or nil.
func LookupURL(key string) (*Field, int) {
	bare, second := strings.CutPrefix(key, ArmPrefix)
	for i := range fields {
		f := &fields[i]
		if f.URL != "" && f.URL == bare && (!second || f.Arm) {
			if second {
				return f, 1
			}
			return f, 0
		}
	}
	return nil, 0
}

// Stored reports whether the field is stored in a Config (ratio is not: it
// sets M).
func (f *Field) Stored() bool { return f.ref != nil }

// Get returns the field's value in c (for an arm field, arm's) as text,
// and false when it is unset (a nil pointer) or not stored.
func (f *Field) Get(c *Config, arm int) (string, bool) {
	if f.ref == nil {
		return "", false
	}
	var a *ArmConfig
	if f.Arm {
		if arm < 0 || arm >= len(c.Arms) {
			return "", false
		}
		a = &c.Arms[arm]
	}
	switch p := f.ref(c, a).(type) {
	case *int:
		return strconv.Itoa(*p), true
	case *int64:
		return strconv.FormatInt(*p, 10), true
	case **int:
		if *p == nil {
			return "", false
		}
		return strconv.Itoa(**p), true
	case *float64:
		return num(*p), true
	case *string:
		return *p, true
	case *[]int:
		return widths(*p), true
	}
	panic("experiment: field " + f.Key + " has an unknown storage type")
}

// set stores a value of Parse into c (for an arm field, into arm a).
func (f *Field) set(c *Config, a *ArmConfig, v any) {
	switch p := f.ref(c, a).(type) {
	case *int:
		*p = int(v.(int64))
	case *int64:
		*p = v.(int64)
	case **int:
		n := int(v.(int64))
		*p = &n
	case *float64:
		*p = v.(float64)
	case *string:
		*p = v.(string)
	case *[]int:
		*p = append([]int(nil), v.([]int)...)
	default:
		panic("experiment: field " + f.Key + " has an unknown storage type")
	}
}

// Set parses text as the field's value, checks it against the field's own
// range and stores it in c (for an arm field, in arm; arm 1 of a one-arm
// config is added as a copy of arm 0). Bounds that depend on other fields
// (M <= K) are Validate's.
func (f *Field) Set(c *Config, arm int, text string) error {
	if f.ref == nil {
		return &FieldError{Field: f.Key, Arm: f.armOf(arm), Value: text, Want: "given as M (kept) in a saved config"}
	}
	v, err := f.Parse(text, arm)
	if err != nil {
		return err
	}
	var a *ArmConfig
	if f.Arm {
		for len(c.Arms) <= arm {
			c.Arms = append(c.Arms, ArmConfig{})
		}
		a = &c.Arms[arm]
	}
	f.set(c, a, v)
	return nil
}

// armOf is arm for an arm field, -1 for the others.
func (f *Field) armOf(arm int) int {
	if f.Arm {
		return arm
	}
	return -1
}

// num formats a number in the shortest form that parses back exactly.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// widths formats layer widths comma separated.
func widths(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

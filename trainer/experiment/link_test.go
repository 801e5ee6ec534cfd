package experiment

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

func intp(v int) *int { return &v }

// linkConfigs are configs the round trip must preserve.
func linkConfigs() map[string]Config {
	abTopkRandom := Default(data.MNIST)
	abTopkRandom.Arms = append(abTopkRandom.Arms, ArmConfig{Select: ohem.Params{Strategy: ohem.Random, M: 32}, LR: 0.1})

	sameBoth := Default(data.MNIST)
	sameBoth.Arms = append(sameBoth.Arms, sameBoth.Arms[0])

	everything := Default(data.MNISTDetect)
	everything.Data.PosFrac = 0.1
	everything.Data.PosDigit = intp(7)
	everything.Data.LabelNoise = 0.2
	everything.Model = ModelConfig{Hidden: []int{64, 32}, Activation: ActTanh, Optimizer: OptAdam, Momentum: 0.5}
	everything.K = 256
	everything.Seed = -42
	everything.EvalEvery = 25
	everything.SpeedCap = 2.5
	everything.Arms = []ArmConfig{
		{Name: "hard <negatives>", Select: ohem.Params{Strategy: ohem.HardNeg, M: 16, NegPos: 2.5, MinNeg: 4, Positive: intp(0)},
			LR: 0.003, Exec: ExecMask, FocalGamma: 2, FocalAlpha: 0.25},
		{Select: ohem.Params{Strategy: ohem.Selective, M: 1, Beta: 1.5, History: 4096}, LR: 1e-4},
	}

	spiral := Default(data.Spiral)
	spiral.Data.Size = 3000
	spiral.Data.Noise = 0.3
	spiral.Data.TestFrac = 0.5
	spiral.Data.PosFrac = 0.25
	spiral.Arms[0].Select = ohem.Params{Strategy: ohem.Threshold, M: 4, Thresh: 0.9, MinKept: 6}

	zeroOptional := Config{Data: data.Config{Name: data.Circle}}

	renamedDefault := Default(data.XOR)
	renamedDefault.Arms[0].Name = "mine"
	renamedDefault.Arms = append(renamedDefault.Arms, ArmConfig{Name: "mine", Select: ohem.Params{Strategy: ohem.All, M: 32}, LR: 0.05})

	return map[string]Config{
		"mnist default":          Default(data.MNIST),
		"mnist-detect default":   Default(data.MNISTDetect),
		"moons default":          Default(data.Moons),
		"a/b topk vs random":     abTopkRandom,
		"a/b same strategy":      sameBoth,
		"every field":            everything,
		"spiral threshold":       spiral,
		"zero optional fields":   zeroOptional,
		"names same in two arms": renamedDefault,
	}
}

func TestQueryRoundTrip(t *testing.T) {
	for name, cfg := range linkConfigs() {
		t.Run(name, func(t *testing.T) {
			if err := cfg.WithDefaults().Validate(); err != nil {
				t.Fatalf("test config is invalid: %v", err)
			}
			q := cfg.Query()
			got, err := ParseQuery(q)
			if err != nil {
				t.Fatalf("ParseQuery(%s): %v", q.Encode(), err)
			}
			if want := cfg.WithDefaults(); !reflect.DeepEqual(got.WithDefaults(), want) {
				t.Errorf("round trip of %s:\n got %+v\nwant %+v", q.Encode(), got.WithDefaults(), want)
			}
			// The ordered form is the same set of keys.
			q2, err := url.ParseQuery(cfg.QueryString())
			if err != nil || !reflect.DeepEqual(q2, q) {
				t.Errorf("QueryString %q parses to %v, %v; Query is %v", cfg.QueryString(), q2, err, q)
			}
			// Encoding is stable.
			if again := got.Query(); !reflect.DeepEqual(again, q) {
				t.Errorf("re-encoding gives %s, first encoding %s", again.Encode(), q.Encode())
			}
		})
	}
}

func TestQueryShort(t *testing.T) {
	ab := Default(data.MNIST)
	ab.Data.LabelNoise = 0.1
	ab.Arms = append(ab.Arms, ab.Arms[0])
	ab.Arms[1].Select.Strategy = ohem.Random
	ab.Arms[1].Name = ""

	lr := Default(data.MNIST)
	lr.Arms[0].LR = 0.05
	lr.Arms[0].Select.Strategy = ohem.All
	lr.Arms[0].Name = ""

	dir := Default(data.MNIST)
	dir.Data.Dir = "/somewhere/mnist"

	csv := Default("csv:/home/someone/secret/data.csv")

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"default", Default(data.MNIST), "ds=mnist"},
		{"default 2-D", Default(data.Gauss), "ds=gauss"},
		{"a/b with noise", ab, "ds=mnist&noise=0.1&b.s=random"},
		{"strategy renames the arm", lr, "ds=mnist&s=all&lr=0.05"},
		{"data dir is not shared", dir, "ds=mnist"},
		{"csv path is not shared", csv, "ds=csv"},
	} {
		if got := tc.cfg.QueryString(); got != tc.want {
			t.Errorf("%s: QueryString = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	got, err := ParseQuery(url.Values{"ds": {"mnist"}, "k": {"128"}, "m": {"32"}, "s": {"topk"}, "lr": {"0.1"},
		"seed": {"1"}, "noise": {"0.1"}, "b.s": {"random"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Arms) != 2 || got.Arms[1].Select.Strategy != ohem.Random || got.Arms[1].Select.M != 32 ||
		got.Arms[1].LR != 0.1 || got.Arms[1].Name != ohem.Random || got.Data.LabelNoise != 0.1 || got.K != 128 {
		t.Errorf("parsed %+v", got)
	}
	empty, err := ParseQuery(url.Values{})
	if err != nil || !reflect.DeepEqual(empty, Default(data.MNIST).WithDefaults()) {
		t.Errorf("empty query: %+v, %v; want the mnist default", empty, err)
	}
	h, err := ParseQuery(url.Values{"ds": {"circle"}, "h": {"8,4,2"}, "lr": {"1e-3"}, "b.m": {"4"}})
	if err != nil || !reflect.DeepEqual(h.Model.Hidden, []int{8, 4, 2}) || h.Arms[0].LR != 0.001 || h.Arms[1].Select.M != 4 {
		t.Errorf("hidden layers, exponent, second arm: %+v, %v", h, err)
	}
}

func TestParseQueryErrors(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  string // in the error
	}{
		{"foo=1", `unknown key "foo"`},
		{"b.ds=mnist", `unknown key "b.ds"`},
		{"c.s=topk", `unknown key "c.s"`},
		{"k=1&k=2", "key k: given 2 times"},
		{"k=", "key k: no value"},
		{"k=abc", "key k: K (batch) must be a whole number"},
		{"k=1.5", "key k: K (batch) must be a whole number"},
		{"k=0", "key k: K (batch) must be"},
		{"k=99999999999999999999", "key k"},
		{"k=8&m=16", "key m:"},
		{"k=8&m=4&b.m=16", "key b.m:"},
		{"lr=NaN", "key lr: Learning rate must be greater than 0"},
		{"lr=inf", "key lr"},
		{"lr=1e999", "key lr"},
		{"lr=0", "key lr: Learning rate must be"},
		{"lr=-0.1", "key lr"},
		{"b.lr=1000", "key b.lr"},
		{"noise=0.95", "key noise"},
		{"noise=-0.1", "key noise"},
		{"mom=1", "key mom"},
		{"s=best", "key s: Strategy must be one of"},
		{"b.s=", "key b.s: no value"},
		{"exec=gpu", "key exec"},
		{"act=sigmoid", "key act"},
		{"opt=lbfgs", "key opt"},
		{"h=", "key h: no value"},
		{"h=16,,8", "key h: Hidden layers must be"},
		{"h=1,2,3,4,5,6,7,8,9", "key h: Hidden layers must be 1 to 8"},
		{"h=100000", "key h"},
		{"ds=imagenet", "key ds: Dataset must be one of"},
		{"ds=csv:/etc/passwd", "key ds: a link cannot carry a CSV file"},
		{"ds=csv", "key ds: a link cannot carry a CSV file"},
		{"ds=circle&n=5", "key n"},
		{"ds=circle&n=1000000", "key n"},
		{"ds=circle&pos=0.001", "key pos"},
		{"ds=mnist-detect&digit=10", "key digit"},
		{"ds=circle&test=0.95", "key test"},
		{"ds=circle&dnoise=3", "key dnoise"},
		{"seed=1e3", "key seed"},
		{"eval=0", "key eval"},
		{"speed=-1", "key speed"},
		{"thresh=1.5", "key thresh"},
		{"beta=1000", "key beta"},
		{"hist=-1", "key hist"},
		{"refresh=-1", "key refresh"},
		{"s=offline&pool=100&hard=200", "key hard"},
		{"s=offline&m=64&hard=50", "key m"},
		{"gamma=11", "key gamma"},
		{"alpha=1", "key alpha"},
		{"name=a%0Ab", "key name"},
		{"name=%20padded", "key name"},
		{"name=" + strings.Repeat("x", 65), "key name"},
		{"name=%FF", "key name: Arm name must be printable text"},
		{"m=" + strings.Repeat("9", 300), "too long"},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatalf("bad test query %q: %v", tc.query, err)
		}
		_, err = ParseQuery(q)
		if err == nil {
			t.Errorf("ParseQuery(%s) succeeded", tc.query)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseQuery(%s) = %v; want an error containing %q", tc.query, err, tc.want)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"", "ds=mnist", "ds=mnist&k=128&m=32&s=topk&lr=0.1&seed=1&noise=0.1&b.s=random",
		"ds=circle&h=8,8&n=500&dnoise=0.1&pos=0.3&test=0.25", "ds=mnist-detect&digit=5&s=hardneg&poslabel=0&negpos=2",
		"s=threshold&thresh=0.5&minkept=40", "s=selective&beta=2&hist=99&b.s=all&b.name=base", "s=offline&refresh=50&pool=2000&hard=100&b.s=topk",
		"k=1&m=1&b.m=1", "lr=-0", "mom=0.0&gamma=0&alpha=0", "name=%3Cb%3E", "k=8&m=16", "x=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		cfg, err := ParseQuery(q)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ParseQuery(%q) returned an invalid config: %v", raw, err)
		}
		q2 := cfg.Query()
		cfg2, err := ParseQuery(q2)
		if err != nil {
			t.Fatalf("re-encoded %q of %q does not parse: %v", q2.Encode(), raw, err)
		}
		if !reflect.DeepEqual(cfg2.WithDefaults(), cfg.WithDefaults()) {
			t.Fatalf("round trip of %q via %q:\n got %+v\nwant %+v", raw, q2.Encode(), cfg2, cfg)
		}
		if q3 := cfg2.Query(); !reflect.DeepEqual(q3, q2) {
			t.Fatalf("encoding not stable: %q then %q", q2.Encode(), q3.Encode())
		}
	})
}

// TestLinkCoversConfig fails when a config struct gains a field that
// shareable links do not know about: give its row in fields.go a link key (and a case
// in linkConfigs) or list it here as not shared.
func TestLinkCoversConfig(t *testing.T) {
	covered := map[reflect.Type][]string{
		reflect.TypeOf(Config{}):      {"Data", "Model", "K", "Arms", "Seed", "EvalEvery", "SpeedCap"},
		reflect.TypeOf(data.Config{}): {"Name", "Dir" /* not shared */, "Size", "Noise", "PosFrac", "PosDigit", "TestFrac", "LabelNoise"},
		reflect.TypeOf(ModelConfig{}): {"Hidden", "Activation", "Optimizer", "Momentum"},
		reflect.TypeOf(ArmConfig{}):   {"Name", "Select", "LR", "Exec", "FocalGamma", "FocalAlpha"},
		reflect.TypeOf(ohem.Params{}): {"Strategy", "M", "Thresh", "MinKept", "NegPos", "MinNeg", "Positive", "Beta", "History", "Refresh", "Pool", "Hard"},
	}
	for typ, names := range covered {
		known := map[string]bool{}
		for _, n := range names {
			known[n] = true
		}
		for i := 0; i < typ.NumField(); i++ {
			if f := typ.Field(i); f.IsExported() && !known[f.Name] {
				t.Errorf("%s.%s is not part of shareable links: add a row with a link key in fields.go", typ, f.Name)
			}
		}
	}
	if got, want := len(linkFields()), 15+17; got != want {
		t.Errorf("%d link keys, want %d: update this test with the struct lists above", got, want)
	}
}

// randomLinkConfig draws a config with each field either left at its
// default or set to a random allowed value.
func randomLinkConfig(rng *rand.Rand) Config {
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	maybe := func() bool { return rng.IntN(3) == 0 }
	c := Default(pick(data.Names...))
	if maybe() {
		c.Data.Size = 50 + rng.IntN(5000)
	}
	if maybe() {
		c.Data.Noise = rng.Float64()
	}
	if maybe() {
		c.Data.PosFrac = 0.2 + 0.6*rng.Float64()
	}
	if maybe() {
		c.Data.PosDigit = intp(rng.IntN(10))
	}
	if maybe() {
		c.Data.TestFrac = 0.1 + 0.5*rng.Float64()
	}
	if maybe() {
		c.Data.LabelNoise = 0.5 * rng.Float64()
	}
	if maybe() {
		c.Model.Hidden = make([]int, 1+rng.IntN(3))
		for i := range c.Model.Hidden {
			c.Model.Hidden[i] = 1 + rng.IntN(300)
		}
	}
	if maybe() {
		c.Model.Activation = pick(ActReLU, ActTanh)
	}
	if maybe() {
		c.Model.Optimizer = pick(OptSGD, OptAdam)
	}
	if maybe() {
		c.Model.Momentum = 0.99 * rng.Float64()
	}
	if maybe() {
		c.K = 64 + rng.IntN(200)
	}
	if maybe() {
		c.Seed = rng.Int64N(2*MaxSeed+1) - MaxSeed
	}
	if maybe() {
		c.EvalEvery = 1 + rng.IntN(1000)
	}
	if maybe() {
		c.SpeedCap = 100 * rng.Float64()
	}
	arm := func(a *ArmConfig) {
		if maybe() {
			a.Select.Strategy = pick(ohem.Strategies...)
			a.Name = ""
		}
		if maybe() {
			a.Select.M = 1 + rng.IntN(32)
		}
		if maybe() {
			a.LR = 0.001 + rng.Float64()
		}
		if maybe() {
			a.Exec = pick(ExecTwoPass, ExecMask)
		}
		if maybe() {
			a.Select.Thresh = 0.05 + 0.9*rng.Float64()
		}
		if maybe() {
			a.Select.MinKept = rng.IntN(32)
		}
		if maybe() {
			a.Select.NegPos = 0.5 + 5*rng.Float64()
		}
		if maybe() {
			a.Select.MinNeg = rng.IntN(8)
		}
		if maybe() {
			a.Select.Positive = intp(rng.IntN(2))
		}
		if maybe() {
			a.Select.Beta = 0.5 + 5*rng.Float64()
		}
		if maybe() {
			a.Select.History = 1 + rng.IntN(5000)
		}
		if maybe() {
			a.Select.Refresh = 1 + rng.IntN(1000)
		}
		if maybe() {
			a.Select.Pool = 100 + rng.IntN(20000)
			a.Select.Hard = 32 + rng.IntN(a.Select.Pool-31)
		}
		if maybe() {
			a.FocalGamma = 5 * rng.Float64()
		}
		if maybe() {
			a.FocalAlpha = 0.9 * rng.Float64()
		}
		if maybe() {
			a.Name = pick("a", "b", "topk", "random", "Ünïcode arm", "<i>x</i>")
		}
	}
	arm(&c.Arms[0])
	if rng.IntN(2) == 0 {
		b := c.Arms[0]
		b.Select.Positive = nil
		if maybe() {
			b.Name = ""
		}
		arm(&b)
		c.Arms = append(c.Arms, b)
	}
	return c
}

func TestQueryRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tried := 0
	for tried < 300 {
		cfg := randomLinkConfig(rng)
		if cfg.WithDefaults().Validate() != nil {
			continue
		}
		tried++
		q := cfg.Query()
		got, err := ParseQuery(q)
		if err != nil {
			t.Fatalf("ParseQuery(%s) of %+v: %v", cfg.QueryString(), cfg, err)
		}
		if want := cfg.WithDefaults(); !reflect.DeepEqual(got.WithDefaults(), want) {
			t.Fatalf("round trip of %s:\n got %+v\nwant %+v", cfg.QueryString(), got.WithDefaults(), want)
		}
	}
}

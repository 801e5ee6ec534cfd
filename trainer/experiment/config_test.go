package experiment

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/ohem"
	"github.com/ohemlab/ohemlab/trainer/data"
)

func TestDefaultConfig(t *testing.T) {
	m := Default(data.MNIST)
	a := m.Arms[0]
	if m.K != 128 || a.Select.Strategy != ohem.TopK || a.Select.M != 32 || a.LR != 0.1 || m.Model.Optimizer != OptSGD || m.Seed != 1 || len(m.Model.Hidden) != 1 || m.Model.Hidden[0] != 256 || a.Exec != ExecTwoPass || m.EvalEvery != 100 {
		t.Fatalf("mnist default %+v", m)
	}
	for _, name := range append([]string{data.MNISTDetect}, data.Names...) {
		c := Default(name)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: default config invalid: %v", name, err)
		}
		if c.Arms[0].Select.M > c.K || len(c.Model.Hidden) == 0 {
			t.Errorf("%s: default %+v", name, c)
		}
	}
	if c := Default(data.Circle); c.K != 32 || c.Arms[0].Select.M != 8 || len(c.Model.Hidden) != 2 {
		t.Errorf("2-D default %+v", c)
	}
	if err := Default("nope").Validate(); AsFieldError(err) == nil || AsFieldError(err).Field != "dataset" {
		t.Errorf("unknown dataset: %v", err)
	}
}

func TestWithDefaults(t *testing.T) {
	c := Config{Data: data.Config{Name: data.Circle}}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.K != 32 || len(c.Arms) != 1 || c.Arms[0].Select.M != 8 || c.Arms[0].Name != ohem.TopK || c.Arms[0].LR != DefaultLR || c.Model.Activation != ActReLU || c.EvalEvery != 100 {
		t.Fatalf("defaults %+v", c)
	}
	// WithDefaults copies: changing the result leaves the input alone.
	in := Default(data.MNIST)
	out := in.WithDefaults()
	out.Model.Hidden[0] = 7
	out.Arms[0].LR = 3
	if in.Model.Hidden[0] != 256 || in.Arms[0].LR != 0.1 {
		t.Fatal("WithDefaults shares slices with its input")
	}
}

func TestValidate(t *testing.T) {
	mod := func(f func(c *Config)) Config { c := Default(data.Circle); f(&c); return c }
	cases := []struct {
		name string
		cfg  Config
		want string // the FieldError's Field; "" = valid
	}{
		{"default", mod(func(c *Config) {}), ""},
		{"tanh adam", mod(func(c *Config) { c.Model.Activation = ActTanh; c.Model.Optimizer = OptAdam }), ""},
		{"two arms", mod(func(c *Config) { c.Arms = append(c.Arms, c.Arms[0]) }), ""},
		{"three arms", mod(func(c *Config) { c.Arms = append(c.Arms, c.Arms[0], c.Arms[0]) }), "arms"},
		{"k negative", mod(func(c *Config) { c.K = -1 }), "k"},
		{"k huge", mod(func(c *Config) { c.K = MaxK + 1 }), "k"},
		{"m > k", mod(func(c *Config) { c.Arms[0].Select.M = 33 }), "m"},
		{"strategy", mod(func(c *Config) { c.Arms[0].Select.Strategy = "x" }), "strategy"},
		{"lr", mod(func(c *Config) { c.Arms[0].LR = 1000 }), "lr"},
		{"exec", mod(func(c *Config) { c.Arms[0].Exec = "x" }), "exec"},
		{"gamma", mod(func(c *Config) { c.Arms[0].FocalGamma = 11 }), "focal_gamma"},
		{"alpha", mod(func(c *Config) { c.Arms[0].FocalAlpha = -0.1 }), "focal_alpha"},
		{"name", mod(func(c *Config) { c.Arms[0].Name = strings.Repeat("x", 65) }), "name"},
		{"hidden width", mod(func(c *Config) { c.Model.Hidden = []int{16, 0} }), "hidden"},
		{"hidden depth", mod(func(c *Config) { c.Model.Hidden = make([]int, 9) }), "hidden"},
		{"activation", mod(func(c *Config) { c.Model.Activation = "gelu" }), "activation"},
		{"optimizer", mod(func(c *Config) { c.Model.Optimizer = "lbfgs" }), "optimizer"},
		{"momentum", mod(func(c *Config) { c.Model.Momentum = 1 }), "momentum"},
		{"eval", mod(func(c *Config) { c.EvalEvery = -3 }), "eval_every"},
		{"speed", mod(func(c *Config) { c.SpeedCap = 1e9 }), "speed_cap"},
		{"data", mod(func(c *Config) { c.Data.LabelNoise = 5 }), "label_noise"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		fe := AsFieldError(err)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (fe == nil || fe.Field != c.want || fe.Want == ""):
			t.Errorf("%s: error %v, want a FieldError naming %q and what it accepts", c.name, err, c.want)
		case c.want != "" && Lookup(c.want) != nil && Lookup(c.want).Arm && fe.Arm != 0:
			t.Errorf("%s: error %v names arm %d, want arm 0", c.name, err, fe.Arm)
		}
	}
}

// FuzzApply checks that a live change is either rejected with an
// error, or gives a config that is valid for the training set and differs
// from the old one exactly in the fields it reports.
func FuzzApply(f *testing.F) {
	seeds := []string{
		`{}`, `{"k":64}`, `{"m":4,"lr":0.5}`, `{"ratio":0.5}`, `{"strategy":"threshold","thresh":0.3,"min_kept":2}`,
		`{"arm":1,"m":3}`, `{"k":0}`, `{"lr":-1}`, `{"strategy":"hardneg","neg_pos":2,"min_neg":1}`,
		`{"strategy":"selective","beta":2}`, `{"exec":"mask","focal_gamma":2,"focal_alpha":0.25}`,
		`{"speed_cap":5,"eval_every":10}`, `{"k":4,"m":5}`, `{"ratio":1e-9}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	base := Default(data.Circle)
	base.Arms = append(base.Arms, base.Arms[0])
	const numTrain = 800
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ch Change
		if json.Unmarshal(raw, &ch) != nil {
			return
		}
		next, changed, err := Apply(base, ch, numTrain)
		if err != nil {
			if next.K != 0 || changed != nil {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		if err := next.Validate(); err != nil {
			t.Fatalf("accepted change gives an invalid config: %v", err)
		}
		if err := next.CheckData(numTrain); err != nil {
			t.Fatalf("accepted change gives a config too big for the data: %v", err)
		}
		if got := Changed(base, next); strings.Join(got, ",") != strings.Join(changed, ",") {
			t.Fatalf("changed %v, recomputed %v", changed, got)
		}
		if base.K != DefaultKPlane || base.Arms[0].Select.M != 8 {
			t.Fatal("Apply modified its input")
		}
	})
}

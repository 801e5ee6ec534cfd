package experiment

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// changeIndex maps a live field's Key to its Change struct field.
var changeIndex = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeOf(Change{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}()

// ChangeValue returns the value ch gives the live field key as text, and
// whether it gives one.
func ChangeValue(ch *Change, key string) (string, bool) {
	i, ok := changeIndex[key]
	if !ok {
		return "", false
	}
	v := reflect.ValueOf(ch).Elem().Field(i)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return "", false
	}
	switch e := v.Elem().Interface().(type) {
	case int:
		return strconv.Itoa(e), true
	case float64:
		if !finite(e) {
			return strconv.FormatFloat(e, 'g', -1, 64), true
		}
		return num(e), true
	case string:
		return e, true
	}
	return fmt.Sprint(v.Elem().Interface()), true
}

// SetChange parses text as the live field key's value (checking the
// field's own range) and sets it in ch.
func SetChange(ch *Change, key, text string) error {
	f := Lookup(key)
	i, ok := changeIndex[key]
	if f == nil || !f.Live || !ok {
		return fmt.Errorf("experiment: %q is not a live field", key)
	}
	v, err := f.Parse(text, ch.Arm)
	if err != nil {
		return err
	}
	dst := reflect.ValueOf(ch).Elem().Field(i)
	p := reflect.New(dst.Type().Elem())
	switch x := v.(type) {
	case int64:
		p.Elem().SetInt(x)
	case float64:
		p.Elem().SetFloat(x)
	case string:
		p.Elem().SetString(x)
	}
	dst.Set(p)
	return nil
}

// Apply returns cfg with ch applied (M = max(1, int(ratio*K)) when Ratio is
// given), validated against a training set of numTrain examples, and the
// names of the fields whose values changed (see Changed). Every value ch
// gives must be in its field's range. cfg is not modified; on error
// (a *FieldError) nothing is returned.
func Apply(cfg Config, ch Change, numTrain int) (Config, []string, error) {
	if ch.Arm < 0 || ch.Arm >= len(cfg.Arms) {
		return Config{}, nil, &FieldError{Field: "arm", Arm: -1, Value: strconv.Itoa(ch.Arm), Want: armsWant(len(cfg.Arms))}
	}
	if ch.M != nil && ch.Ratio != nil {
		return Config{}, nil, &FieldError{Field: "ratio", Arm: ch.Arm, Value: num(*ch.Ratio), Want: "left out when M (kept) is given"}
	}
	next := cfg.Clone()
	a := &next.Arms[ch.Arm]
	var ratio *float64
	for i := range fields {
		f := &fields[i]
		text, ok := ChangeValue(&ch, f.Key)
		if !f.Live || !ok {
			continue
		}
		v, err := f.Parse(text, ch.Arm)
		if err != nil {
			return Config{}, nil, err
		}
		switch {
		case f.Key == "ratio":
			r := v.(float64)
			ratio = &r
		case f.Key == "strategy" && a.Name == a.Select.Strategy:
			a.Name = v.(string) // the default name follows the strategy
			f.set(&next, a, v)
		default:
			f.set(&next, a, v)
		}
	}
	if ratio != nil {
		a.Select.M = KeptOf(*ratio, next.K)
	}
	if err := next.CheckData(numTrain); err != nil {
		return Config{}, nil, err
	}
	if err := next.Validate(); err != nil {
		return Config{}, nil, err
	}
	return next, Changed(cfg, next), nil
}

// KeptOf is the M a kept share gives in a batch of k: max(1, int(ratio*k)).
func KeptOf(ratio float64, k int) int { return max(1, int(ratio*float64(k))) }

// armsWant says which arm numbers a run of n arms has.
func armsWant(n int) string {
	if n <= 1 {
		return "0 (this run has one arm)"
	}
	return fmt.Sprintf("between 0 and %d (this run has %d arms)", n-1, n)
}

// FieldChange is one field whose value differs between two configs, for
// the labels of config-change markers.
type FieldChange struct {
	// Field is the field's Key.
	Field string `json:"field"`
	// Arm is the arm of an arm field, -1 for the others.
	Arm int `json:"arm"`
	// From and To are the values before and after, as text.
	From string `json:"from"`
	To   string `json:"to"`
	// Label reads like "M 32→4" or "B strategy topk→threshold" (the arm's
	// letter when there are two).
	Label string `json:"label"`
}

// Diff lists the stored fields whose values differ between a and b: the
// experiment's in table order, then each arm's (for the arms both have).
func Diff(a, b Config) []FieldChange {
	out := []FieldChange{}
	add := func(f *Field, arm int) {
		x, _ := f.Get(&a, arm)
		y, _ := f.Get(&b, arm)
		if x == y {
			return
		}
		name := f.Symbol
		if name == "" {
			name = strings.ToLower(f.Label)
		}
		label := name + " " + x + "→" + y
		if f.Arm && (arm > 0 || len(b.Arms) > 1) {
			label = ArmLetter(arm) + " " + label
		}
		out = append(out, FieldChange{Field: f.Key, Arm: f.armOf(arm), From: x, To: y, Label: label})
	}
	for i := range fields {
		if f := &fields[i]; f.Stored() && !f.Arm {
			add(f, -1)
		}
	}
	for arm := 0; arm < min(len(a.Arms), len(b.Arms)); arm++ {
		for i := range fields {
			if f := &fields[i]; f.Stored() && f.Arm {
				add(f, arm)
			}
		}
	}
	return out
}

// Changed names the live fields (and arm names) whose values differ
// between two configs with the same arms: "k", "speed_cap", "eval_every"
// and "arms[i].<key>", the names saved runs and the protocol use.
func Changed(a, b Config) []string {
	out := []string{}
	for _, d := range Diff(a, b) {
		f := Lookup(d.Field)
		if !f.Live && f.Key != "name" {
			continue
		}
		if d.Arm < 0 {
			out = append(out, d.Field)
		} else {
			out = append(out, fmt.Sprintf("arms[%d].%s", d.Arm, d.Field))
		}
	}
	return out
}

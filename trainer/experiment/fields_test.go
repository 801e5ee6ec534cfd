package experiment

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// TestTableKeysUnique checks that no two rows share a key, flag or link
// key.
func TestTableKeysUnique(t *testing.T) {
	seen := map[string]string{}
	for _, f := range fields {
		for kind, name := range map[string]string{"key": f.Key, "flag": f.Flag, "url": f.URL} {
			if name == "" {
				continue
			}
			if prev, ok := seen[kind+" "+name]; ok {
				t.Errorf("%s %q used by %s and %s", kind, name, prev, f.Key)
			}
			seen[kind+" "+name] = f.Key
		}
		if f.Label == "" || f.Help == "" || f.Kind == "" {
			t.Errorf("%s: label, help and kind are required", f.Key)
		}
		if f.MaxField != "" && (Lookup(f.MaxField) == nil || Lookup(f.MaxField).Symbol == "") {
			t.Errorf("%s: bound by %q, which is not a row with a Symbol", f.Key, f.MaxField)
		}
	}
}

// TestLiveRowsAreChangeFields checks that the live rows and the fields of
// Change are the same set, so that a new live row cannot be forgotten in
// Change or the other way round.
func TestLiveRowsAreChangeFields(t *testing.T) {
	var live []string
	for _, f := range fields {
		if f.Live {
			live = append(live, f.Key)
		}
	}
	var change []string
	for key := range changeIndex {
		if key != "arm" {
			change = append(change, key)
		}
	}
	slices.Sort(live)
	slices.Sort(change)
	if !slices.Equal(live, change) {
		t.Fatalf("live rows %v, Change fields %v", live, change)
	}
	// Every live value set through SetChange reads back the same.
	for _, f := range fields {
		if !f.Live {
			continue
		}
		text := insideValue(&f)
		var ch Change
		if err := SetChange(&ch, f.Key, text); err != nil {
			t.Fatalf("%s: SetChange(%q): %v", f.Key, text, err)
		}
		if got, ok := ChangeValue(&ch, f.Key); !ok || got != text {
			t.Errorf("%s: ChangeValue = %q, %v; want %q", f.Key, got, ok, text)
		}
	}
}

// insideValue is a value in the middle of a row's range, as text.
func insideValue(f *Field) string {
	switch f.Kind {
	case KindChoice:
		return f.Choices[len(f.Choices)-1]
	case KindText:
		return "arm x"
	case KindWidths:
		return "7,5"
	case KindInt:
		if f.Min == 0 && f.Max == 0 {
			return "-42"
		}
		return strconv.Itoa(int(f.Min) + 1)
	}
	return num(f.Min + (f.Max-f.Min)/4)
}

// TestPathsMatchStorage checks every stored row's Path against where its
// value lands in the Config's JSON.
func TestPathsMatchStorage(t *testing.T) {
	for _, f := range fields {
		if !f.Stored() {
			if f.Path != "" {
				t.Errorf("%s: not stored but has path %q", f.Key, f.Path)
			}
			continue
		}
		c := Default(data.Circle)
		text := insideValue(&f)
		if err := f.Set(&c, 0, text); err != nil {
			t.Fatalf("%s: Set(%q): %v", f.Key, text, err)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var m any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, part := range strings.Split(f.Path, ".") {
			name, arm := strings.CutSuffix(part, "[]")
			m = m.(map[string]any)[name]
			if arm {
				m = m.([]any)[0]
			}
		}
		got := fmt.Sprint(m)
		switch v := m.(type) {
		case float64:
			got = shown(v)
		case []any:
			s := make([]string, len(v))
			for i, x := range v {
				s[i] = num(x.(float64))
			}
			got = strings.Join(s, ",")
		}
		if got != text {
			t.Errorf("%s: path %s holds %q after setting %q", f.Key, f.Path, got, text)
		}
	}
}

// TestParseRanges checks Parse at the edges of every number row's own
// range: the bounds it includes are accepted, the ones it excludes and the
// values just beyond are refused with a FieldError naming the row.
func TestParseRanges(t *testing.T) {
	for _, f := range fields {
		if f.Kind != KindInt && f.Kind != KindNumber || (f.Min == 0 && f.Max == 0) {
			continue
		}
		below, above := f.Min-1, f.Max+1
		if f.Kind == KindNumber {
			below, above = math.Nextafter(f.Min, math.Inf(-1)), math.Nextafter(f.Max, math.Inf(1))
		}
		cases := map[float64]bool{below: false, above: false, f.Min: !f.MinOpen || (f.ZeroIsDefault && f.Min == 0), f.Max: !f.MaxOpen}
		if f.ZeroIsDefault && below == 0 {
			cases[below] = true
		}
		for v, ok := range cases {
			text := shown(v)
			_, err := f.Parse(text, 0)
			if (err == nil) != ok {
				t.Errorf("%s: Parse(%s) = %v, want ok=%v", f.Key, text, err, ok)
			}
			if fe := AsFieldError(err); err != nil && (fe == nil || fe.Field != f.Key || fe.Value != text || !strings.Contains(fe.Error(), f.Label)) {
				t.Errorf("%s: Parse(%s) error %v does not name the field, value and label", f.Key, text, err)
			}
		}
	}
}

// TestParseHidden checks the hidden layer widths.
func TestParseHidden(t *testing.T) {
	f := Lookup("hidden")
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"256", []int{256}},
		{"16,16", []int{16, 16}},
		{" 8 , 4 ", []int{8, 4}},
		{"", nil},
		{"16,", nil},
		{"-1", nil},
		{"4097", nil},
		{"1.5", nil},
		{"1,1,1,1,1,1,1,1,1", nil},
	} {
		v, err := f.Parse(tc.in, -1)
		if tc.want == nil {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", tc.in, v)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(v, tc.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, v, err, tc.want)
		}
	}
}

// TestFieldErrorWords checks the message of a bound by another field.
func TestFieldErrorWords(t *testing.T) {
	c := Default(data.MNIST)
	c.Arms[0].Select.M = 200
	err := c.Validate()
	want := "M (kept) must be a whole number between 1 and K = 128; got 200"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate = %v, want %q", err, want)
	}
	c = Default(data.MNIST)
	c.Arms = append(c.Arms, c.Arms[0])
	c.Arms[1].LR = -1
	if fe := AsFieldError(c.Validate()); fe == nil || fe.Arm != 1 || !strings.HasPrefix(fe.Error(), "arm B: Learning rate must be") {
		t.Fatalf("second arm's error: %v", fe)
	}
}

// FuzzFieldParse checks every row's Parse on any text: an accepted value
// is in range and reads back the same after formatting.
func FuzzFieldParse(f *testing.F) {
	for _, s := range []string{"0", "1", "-1", "0.5", "1e3", "NaN", "Inf", "topk", "16,16", "", " 3", "1e999", "65537"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for i := range fields {
			r := &fields[i]
			v, err := r.Parse(text, 0)
			if err != nil {
				if AsFieldError(err) == nil {
					t.Fatalf("%s: Parse(%q) error %v is not a FieldError", r.Key, text, err)
				}
				continue
			}
			switch x := v.(type) {
			case int64:
				if !r.inRange(float64(x)) {
					t.Fatalf("%s: Parse(%q) accepted %d", r.Key, text, x)
				}
			case float64:
				if !finite(x) || !r.inRange(x) {
					t.Fatalf("%s: Parse(%q) accepted %v", r.Key, text, x)
				}
				if _, err := r.Parse(num(x), 0); err != nil {
					t.Fatalf("%s: %v does not parse again: %v", r.Key, x, err)
				}
			case []int:
				if len(x) == 0 || len(x) > MaxLayers {
					t.Fatalf("%s: Parse(%q) accepted %v", r.Key, text, x)
				}
			}
		}
	})
}

package data

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opt      CSVOptions
		features []string
		label    string
		x        []float64
		y        []int32
		classes  []string
		lines    []int
	}{
		{
			name: "label last", in: "x,y,label\n1,2,0\n3,4,1\n",
			features: []string{"x", "y"}, label: "label", x: []float64{1, 2, 3, 4}, y: []int32{0, 1}, classes: []string{"0", "1"}, lines: []int{2, 3},
		},
		{
			name: "label first, spaces, CRLF, BOM, blank lines", in: "\uFEFF Label , a ,b\r\n\r\n cat , 1.5 ,-2e3\r\n   \r\ndog,0,0\r\ncat,1,1\r\n",
			features: []string{"a", "b"}, label: "Label", x: []float64{1.5, -2000, 0, 0, 1, 1}, y: []int32{0, 1, 0}, classes: []string{"cat", "dog"}, lines: []int{3, 5, 6},
		},
		{
			name: "no label column: last column", in: "f1,f2,cls\n0,0,b\n1,1,a\n",
			features: []string{"f1", "f2"}, label: "cls", x: []float64{0, 0, 1, 1}, y: []int32{0, 1}, classes: []string{"b", "a"}, lines: []int{2, 3},
		},
		{
			name: "integer labels sorted numerically", in: "v,label\n1,10\n2,-1\n3,2\n4,02\n",
			features: []string{"v"}, label: "label", x: []float64{1, 2, 3, 4}, y: []int32{2, 0, 1, 1}, classes: []string{"-1", "2", "10"}, lines: []int{2, 3, 4, 5},
		},
		{
			name: "quoted fields and option label", in: "\"a,b\",target,c\n\"1\",yes,2\n3,no,4\n", opt: CSVOptions{Label: "TARGET"},
			features: []string{"a,b", "c"}, label: "target", x: []float64{1, 2, 3, 4}, y: []int32{0, 1}, classes: []string{"yes", "no"}, lines: []int{2, 3},
		},
		{
			name: "semicolons", in: "x;label\n1;a\n2;b\n", opt: CSVOptions{Comma: ';'},
			features: []string{"x"}, label: "label", x: []float64{1, 2}, y: []int32{0, 1}, classes: []string{"a", "b"}, lines: []int{2, 3},
		},
		{
			name: "semicolons detected", in: "x;y;label\n1;2;a\n3;4;b\n",
			features: []string{"x", "y"}, label: "label", x: []float64{1, 2, 3, 4}, y: []int32{0, 1}, classes: []string{"a", "b"}, lines: []int{2, 3},
		},
		{
			name: "tabs detected", in: "x\ty\tlabel\n1\t2\ta\n3\t4\tb\n",
			features: []string{"x", "y"}, label: "label", x: []float64{1, 2, 3, 4}, y: []int32{0, 1}, classes: []string{"a", "b"}, lines: []int{2, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := ParseCSV(strings.NewReader(tt.in), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tb.Features, tt.features) || tb.Label != tt.label || !slices.Equal(tb.X, tt.x) ||
				!slices.Equal(tb.Y, tt.y) || !slices.Equal(tb.ClassNames, tt.classes) || !slices.Equal(tb.Lines, tt.lines) {
				t.Errorf("got features %q label %q x %v y %v classes %q lines %v", tb.Features, tb.Label, tb.X, tb.Y, tb.ClassNames, tb.Lines)
			}
			if tb.Rows() != len(tt.y) || tb.Dim() != len(tt.features) {
				t.Errorf("Rows %d Dim %d", tb.Rows(), tb.Dim())
			}
		})
	}
}

func TestParseCSVErrors(t *testing.T) {
	many := func(n int, row string) string { return strings.Repeat(row, n) }
	wideHeader := ""
	for i := 0; i <= MaxFeatures; i++ {
		wideHeader += fmt.Sprintf("c%d,", i)
	}
	tests := []struct {
		name, in string
		opt      CSVOptions
		want     string
	}{
		{"empty", "", CSVOptions{}, "empty file"},
		{"header only", "x,label\n", CSVOptions{}, "no data rows"},
		{"no header", "1,2,0\n3,4,1\n", CSVOptions{}, "line 1: header row missing"},
		{"no header after blank lines", "\n\n1,2,0\n3,4,1\n", CSVOptions{}, "line 3: header row missing"},
		{"one column", "label\n1\n", CSVOptions{}, "line 1: header has 1 column"},
		{"empty column name", "x,,label\n1,2,3\n", CSVOptions{}, "line 1: header: column 2 has no name"},
		{"duplicate column", "x,x,label\n1,2,3\n", CSVOptions{}, `column name "x" appears twice (columns 1 and 2)`},
		{"missing option label", "x,y\n1,2\n", CSVOptions{Label: "class"}, `header has no label column "class"`},
		{"ragged short", "x,y,label\n1,2,0\n3,1\n", CSVOptions{}, "line 3: 2 fields, but the header has 3 columns"},
		{"ragged long", "x,y,label\n1,2,0,9\n", CSVOptions{}, "line 2: 4 fields, but the header has 3 columns"},
		{"non-numeric", "x,width,label\n1,2,a\n1,wide,b\n", CSVOptions{}, `line 3: column "width": "wide" is not a number`},
		{"decimal comma", "x;y;label\n1,5;2;a\n", CSVOptions{}, `line 2: column "x": "1,5" is not a number`},
		{"empty value", "x,y,label\n1,,a\n", CSVOptions{}, `line 2: column "y": empty value`},
		{"empty label", "x,label\n1,a\n2,\n", CSVOptions{}, `line 3: label column "label" is empty`},
		{"long label", "x,label\n1,a\n2," + strings.Repeat("b", MaxLabelBytes+1) + "\n", CSVOptions{}, `line 3: label "bbbbbbbbbbbbbbbbbbbb"… is 65 bytes long: class labels may have at most 64 bytes`},
		{"NaN", "x,y,label\n1,NaN,a\n", CSVOptions{}, `line 2: column "y": "NaN" is not allowed`},
		{"Inf", "x,y,label\n-inf,1,a\n", CSVOptions{}, `line 2: column "x": "-inf" is not allowed`},
		{"overflow", "x,y,label\n1e999,1,a\n", CSVOptions{}, `line 2: column "x": "1e999" is out of range`},
		{"too large value", "x,y,label\n1e31,1,a\n", CSVOptions{}, `"1e31" is too large`},
		{"one class", "x,label\n1,a\n2,a\n", CSVOptions{}, `only one class ("a") in column "label": need at least 2 classes`},
		{"bare quote", "x,label\n1,a\"b\n", CSVOptions{}, `line 2: bare " in non-quoted-field`},
		{"too many rows", "x,label\n" + many(MaxRows+1, "1,a\n"), CSVOptions{}, "line 200002: too many rows: the limit is 200000"},
		{"too many features", wideHeader + "label\n", CSVOptions{}, "too many feature columns: 1025, the limit is 1024"},
		{"huge header", strings.Repeat("c,", 1<<20) + "label\n", CSVOptions{}, "too many feature columns: 1048576, the limit is 1024"},
		{"too many classes", "x,label\n" + func() string {
			var b strings.Builder
			for i := 0; i <= MaxClasses; i++ {
				fmt.Fprintf(&b, "1,c%d\n", i)
			}
			return b.String()
		}(), CSVOptions{}, "line 258: too many classes in column \"label\": more than 256 distinct labels"},
		{"too large", "a,b,c,d,e,f,g,h,i,j,label\n" + many(MaxCSVBytes/190, strings.Repeat("1.2345678901234567,", 10)+"ab\n"), CSVOptions{}, "file too large: the limit is 32 MiB"},
		{"long value cut", "x,label\n" + strings.Repeat("z", 100) + ",a\n", CSVOptions{}, `"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"... is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tt.in), tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestParseCSVLimitExact checks that a file of exactly MaxCSVBytes is
// accepted.
func TestParseCSVLimitExact(t *testing.T) {
	head := "x,label\n"
	row := "1.25,a\n1.50,b\n" // 14 bytes
	body := strings.Repeat(row, (MaxCSVBytes-len(head))/len(row))
	in := head + body
	in += strings.Repeat("\n", MaxCSVBytes-len(in))
	if len(in) != MaxCSVBytes {
		t.Fatalf("built %d bytes", len(in))
	}
	// The rows exceed MaxRows, so only check that the size limit is not
	// the complaint.
	_, err := ParseCSV(strings.NewReader(in), CSVOptions{})
	if err != nil && strings.Contains(err.Error(), "too large") {
		t.Fatalf("file of exactly the limit rejected: %v", err)
	}
}

func TestFromTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b,label\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "%d,%g,%s\n", 1000+i*10, 0.001*float64(i%7), []string{"x", "y", "z"}[i%3])
	}
	tb, err := ParseCSV(strings.NewReader(b.String()), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := FromTable(tb, Config{Name: "upload", TestFrac: 0.3, LabelNoise: 0.1}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "upload" || s.NumTrain() != 210 || s.NumTest() != 90 || s.Classes != 3 || s.Dim != 2 || !slices.Equal(s.ClassNames, []string{"x", "y", "z"}) {
		t.Fatalf("got %q %d/%d classes %v dim %d", s.Name, s.NumTrain(), s.NumTest(), s.ClassNames, s.Dim)
	}
	if got := countLabels(s.TestY, 3); !slices.Equal(got, []int{30, 30, 30}) {
		t.Errorf("test split not stratified: %v", got)
	}
	if s.FlippedFrac() != 21.0/210 {
		t.Errorf("flipped %v", s.FlippedFrac())
	}
	// Training features are standardised.
	for j := 0; j < 2; j++ {
		var sum, sq float64
		row := make([]float32, s.Dim)
		for i := 0; i < s.NumTrain(); i++ {
			s.TrainRowTo(row, i)
			v := float64(row[j])
			sum += v
			sq += v * v
		}
		mean := sum / float64(s.NumTrain())
		sd := math.Sqrt(sq/float64(s.NumTrain()) - mean*mean)
		if math.Abs(mean) > 1e-5 || math.Abs(sd-1) > 1e-4 {
			t.Errorf("feature %d: mean %v sd %v, want 0 and 1", j, mean, sd)
		}
	}
	if s.Bounds == [4]float64{} {
		t.Error("two-feature table has no bounds")
	}
	again, _ := FromTable(tb, Config{Name: "upload", TestFrac: 0.3, LabelNoise: 0.1}, 9)
	other, _ := FromTable(tb, Config{Name: "upload", TestFrac: 0.3, LabelNoise: 0.1}, 10)
	if !sameSet(s, again) || sameSet(s, other) {
		t.Error("FromTable is not deterministic in its seed")
	}
}

func TestFromTableEdges(t *testing.T) {
	tests := []struct {
		name, in    string
		cfg         Config
		train, test int
		want        string
	}{
		{"constant column", "a,b,label\n5,1,0\n5,2,1\n5,3,0\n5,4,1\n", Config{}, 2, 2, ""},
		{"tiny classes", "a,label\n1,p\n2,q\n3,q\n", Config{}, 2, 1, ""},
		{"singletons", "a,label\n1,p\n2,q\n", Config{}, 0, 0, "too few examples for a test split"},
		{"bad test frac", "a,label\n1,p\n2,q\n", Config{TestFrac: 2}, 0, 0, "data.test_frac: 2 is out of range"},
		{"bad noise", "a,label\n1,p\n2,q\n", Config{LabelNoise: -1}, 0, 0, "data.label_noise: -1 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := ParseCSV(strings.NewReader(tt.in), CSVOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s, err := FromTable(tb, tt.cfg, 1)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.NumTrain() != tt.train || s.NumTest() != tt.test {
				t.Errorf("train/test %d/%d, want %d/%d", s.NumTrain(), s.NumTest(), tt.train, tt.test)
			}
			for _, v := range append(slices.Clone(s.TrainX), s.TestX...) {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("non-finite feature %v", v)
				}
			}
		})
	}
	if _, err := FromTable(&Table{Features: []string{"a"}}, Config{}, 1); err == nil {
		t.Error("empty table accepted")
	}
}

func TestLoadCSVFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "points.csv")
	var b strings.Builder
	b.WriteString("x,y,label\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "%d,%d,%d\n", i, i*i, i%2)
	}
	if err := os.WriteFile(good, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(Config{Name: CSVPrefix + good, LabelNoise: 0.25}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != CSVPrefix+good || s.NumTrain() != 80 || s.NumTest() != 20 || !s.Is2D() || s.FlippedFrac() != 0.25 {
		t.Errorf("got %s %d/%d 2D %v flipped %v", s.Name, s.NumTrain(), s.NumTest(), s.Is2D(), s.FlippedFrac())
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("x,label\n1,a\nzz,b\n"), 0o644)
	if _, err := Load(Config{Name: CSVPrefix + bad}, 1); err == nil || !strings.Contains(err.Error(), `bad.csv: line 3: column "x": "zz" is not a number`) {
		t.Errorf("bad file error = %v", err)
	}
	if _, err := Load(Config{Name: CSVPrefix + filepath.Join(dir, "none.csv")}, 1); err == nil || !strings.Contains(err.Error(), "none.csv") {
		t.Errorf("missing file error = %v", err)
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"x,y,label\n1,2,0\n3,4,1\n",
		"label,a\ncat,1\ndog,2\ncat,3\n",
		"\uFEFFa;b;label\n1;2;x\n",
		"x,label\n1,a\n2,\"b\"\"c\"\n3,a\n",
		"x,label\nNaN,a\n1,b\n",
		"x,y,label\n1,2\n",
		"1,2,3\n",
		"a,a,label\n1,2,3\n",
		"x,label\n1e308,1\n-1e-308,2\n0x1p3,1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tb, err := ParseCSV(strings.NewReader(in), CSVOptions{})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		n, d := tb.Rows(), tb.Dim()
		if n == 0 || d == 0 || d > MaxFeatures || n > MaxRows || len(tb.X) != n*d || len(tb.Lines) != n || len(tb.ClassNames) < 2 {
			t.Fatalf("inconsistent table: %d rows, %d features, %d values, %d classes", n, d, len(tb.X), len(tb.ClassNames))
		}
		used := make([]bool, len(tb.ClassNames))
		for _, y := range tb.Y {
			if y < 0 || int(y) >= len(tb.ClassNames) {
				t.Fatalf("label %d out of range", y)
			}
			used[y] = true
		}
		if slices.Contains(used, false) {
			t.Fatal("a class without rows")
		}
		for _, v := range tb.X {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > MaxAbsValue {
				t.Fatalf("bad value %v", v)
			}
		}
		s, err := FromTable(tb, Config{LabelNoise: 0.2}, 1)
		if err != nil {
			return // e.g. every class a singleton
		}
		if s.NumTrain()+s.NumTest() != n || len(s.TrainX) != s.NumTrain()*d {
			t.Fatalf("set sizes %d+%d from %d rows", s.NumTrain(), s.NumTest(), n)
		}
		for _, v := range s.TrainX {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite standardised value %v", v)
			}
		}
	})
}

// errReader fails after its data.
type errReader struct{ s io.Reader }

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.s.Read(p)
	if err == io.EOF {
		return n, fmt.Errorf("disk on fire")
	}
	return n, err
}

func TestParseCSVReadError(t *testing.T) {
	_, err := ParseCSV(errReader{strings.NewReader("x,label\n1,a\n")}, CSVOptions{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("error = %v", err)
	}
}

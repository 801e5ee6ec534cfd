package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on CSV input.
const (
	// MaxCSVBytes is the largest CSV file accepted (32 MiB).
	MaxCSVBytes = 32 << 20
	// MaxRows is the largest number of data rows accepted.
	MaxRows = 200000
	// MaxFeatures is the largest number of feature columns accepted.
	MaxFeatures = 1024
	// MaxClasses is the largest number of distinct labels accepted.
	MaxClasses = 256
	// MaxLabelBytes is the longest class label accepted: labels are shown
	// on the page and stored with every run.
	MaxLabelBytes = 64
	// MaxAbsValue is the largest magnitude of a feature value accepted.
	MaxAbsValue = 1e30
)

// LabelColumn is the default name of the label column (matched without
// regard to case or surrounding spaces); without one the last column is the
// label.
const LabelColumn = "label"

// CSVOptions tunes ParseCSV. The zero value is the default.
type CSVOptions struct {
	// Label is the name of the label column. Empty means LabelColumn if
	// the header has it, else the last column.
	Label string
	// Comma is the field separator. 0 means detect it from the header
	// line: the most frequent of ',', ';' and tab (',' if none occurs).
	Comma rune
}

// Table is a parsed CSV file: numeric features and class labels.
type Table struct {
	// Features are the feature column names, in file order.
	Features []string
	// Label is the label column's name.
	Label string
	// X holds Rows()*len(Features) values, row-major.
	X []float64
	// Y are the class indices, one per row.
	Y []int32
	// ClassNames are the labels as written in the file: numerically sorted
	// if every label is an integer, else in order of first appearance.
	// Y[i] indexes ClassNames.
	ClassNames []string
	// Lines are the file line numbers of the rows (for messages).
	Lines []int
}

// Rows returns the number of data rows.
func (t *Table) Rows() int { return len(t.Y) }

// Dim returns the number of features.
func (t *Table) Dim() int { return len(t.Features) }

// ParseCSV reads a CSV file with a header row, numeric feature columns and
// one label column (integers or strings). It reads at most MaxCSVBytes and
// MaxRows rows. Errors name the line, the column and the problem: a missing
// header, ragged rows, empty or non-numeric values, NaN or infinite values,
// fewer than two classes, no rows, or a file over a limit.
func ParseCSV(r io.Reader, opt CSVOptions) (*Table, error) {
	lr := &limitReader{r: r, n: MaxCSVBytes}
	br := bufio.NewReaderSize(lr, 64<<10)
	cr := csv.NewReader(br)
	cr.Comma = opt.Comma
	if cr.Comma == 0 {
		cr.Comma = sniffComma(br)
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: want a header row, then one row per example")
	}
	if err != nil {
		return nil, csvErr(lr, err)
	}
	headLine, _ := cr.FieldPos(0)
	t, names, labelCol, err := parseHeader(header, opt)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", headLine, err)
	}
	ncol := len(names)
	labels := newLabeler()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(lr, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line with spaces only
		}
		if len(t.Y) == MaxRows {
			return nil, fmt.Errorf("line %d: too many rows: the limit is %d", line, MaxRows)
		}
		if len(rec) != ncol {
			return nil, fmt.Errorf("line %d: %d fields, but the header has %d columns", line, len(rec), ncol)
		}
		for j, f := range rec {
			f = strings.TrimSpace(f)
			if j == labelCol {
				if f == "" {
					return nil, fmt.Errorf("line %d: label column %q is empty", line, t.Label)
				}
				if len(f) > MaxLabelBytes {
					return nil, fmt.Errorf("line %d: label %.20q… is %d bytes long: class labels may have at most %d bytes", line, f, len(f), MaxLabelBytes)
				}
				if !labels.add(f) {
					return nil, fmt.Errorf("line %d: too many classes in column %q: more than %d distinct labels", line, t.Label, MaxClasses)
				}
				continue
			}
			v, err := parseValue(f)
			if err != nil {
				return nil, fmt.Errorf("line %d: column %q: %w", line, names[j], err)
			}
			t.X = append(t.X, v)
		}
		t.Y = append(t.Y, 0)
		t.Lines = append(t.Lines, line)
	}
	if len(t.Y) == 0 {
		return nil, errors.New("no data rows after the header")
	}
	if err := labels.finish(t); err != nil {
		return nil, err
	}
	return t, nil
}

// parseHeader checks the header and finds the label column. It returns the
// cleaned column names (a copy: the reader reuses header).
func parseHeader(header []string, opt CSVOptions) (*Table, []string, int, error) {
	names := make([]string, len(header))
	for j, h := range header {
		if j == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		names[j] = strings.TrimSpace(h)
	}
	if len(names) < 2 {
		return nil, nil, 0, fmt.Errorf("header has %d column: want at least one feature column and a label column", len(names))
	}
	if len(names)-1 > MaxFeatures {
		return nil, nil, 0, fmt.Errorf("too many feature columns: %d, the limit is %d", len(names)-1, MaxFeatures)
	}
	numeric := 0
	col := make(map[string]int, len(names))
	for j, h := range names {
		if h == "" {
			return nil, nil, 0, fmt.Errorf("header: column %d has no name", j+1)
		}
		if _, err := strconv.ParseFloat(h, 64); err == nil {
			numeric++
		}
		if k, dup := col[h]; dup {
			return nil, nil, 0, fmt.Errorf("header: column name %q appears twice (columns %d and %d)", h, k+1, j+1)
		}
		col[h] = j
	}
	if numeric == len(names) {
		return nil, nil, 0, errors.New("header row missing: the first line is all numbers; add a line of column names such as x1,x2,label")
	}
	labelCol := len(names) - 1
	switch {
	case opt.Label != "":
		labelCol = slices.IndexFunc(names, func(h string) bool { return strings.EqualFold(h, strings.TrimSpace(opt.Label)) })
		if labelCol < 0 {
			return nil, nil, 0, fmt.Errorf("header has no label column %q", opt.Label)
		}
	default:
		if k := slices.IndexFunc(names, func(h string) bool { return strings.EqualFold(h, LabelColumn) }); k >= 0 {
			labelCol = k
		}
	}
	t := &Table{Label: names[labelCol]}
	for j, h := range names {
		if j != labelCol {
			t.Features = append(t.Features, h)
		}
	}
	return t, names, labelCol, nil
}

// sniffComma guesses the separator from the first line in br's buffer.
func sniffComma(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	best, most := ',', 0
	for _, c := range []rune{',', ';', '\t'} {
		if n := bytes.Count(head, []byte(string(c))); n > most {
			best, most = c, n
		}
	}
	return best
}

// parseValue parses one finite feature value.
func parseValue(f string) (float64, error) {
	if f == "" {
		return 0, errors.New("empty value: every feature must be a number")
	}
	v, err := strconv.ParseFloat(f, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%s is out of range", quoteShort(f))
	case err != nil:
		return 0, fmt.Errorf("%s is not a number", quoteShort(f))
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%s is not allowed: values must be finite numbers", quoteShort(f))
	case math.Abs(v) > MaxAbsValue:
		return 0, fmt.Errorf("%s is too large: the limit is %g in magnitude", quoteShort(f), MaxAbsValue)
	}
	return v, nil
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// csvErr turns a reader error into a message with the line, or the size
// limit if that was hit.
func csvErr(lr *limitReader, err error) error {
	if lr.over {
		return fmt.Errorf("file too large: the limit is %d MiB", MaxCSVBytes>>20)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return err
}

// limitReader reads at most n bytes and then fails, remembering that the
// limit was hit.
type limitReader struct {
	r    io.Reader
	n    int64
	over bool
}

var errTooLarge = errors.New("file too large")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Probe one byte: a file of exactly the limit is fine.
		var b [1]byte
		n, err := l.r.Read(b[:])
		if n > 0 {
			l.over = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

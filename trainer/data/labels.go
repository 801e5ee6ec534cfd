package data

import (
	"fmt"
	"slices"
	"strconv"
)

// labeler maps label strings to classes.
type labeler struct {
	rows  []int32        // per row: index into first
	first []string       // distinct labels in order of first appearance
	seen  map[string]int // label -> index in first
}

func newLabeler() *labeler { return &labeler{seen: map[string]int{}} }

// add records one row's label. It returns false if that makes more than
// MaxClasses distinct labels.
func (l *labeler) add(s string) bool {
	k, ok := l.seen[s]
	if !ok {
		if len(l.first) == MaxClasses {
			return false
		}
		k = len(l.first)
		l.seen[s] = k
		l.first = append(l.first, s)
	}
	l.rows = append(l.rows, int32(k))
	return true
}

// finish sets t.Y and t.ClassNames. If every label is an integer, classes
// are the distinct values in increasing order (so 0/1 stay 0/1; "1" and
// "01" are the same class); otherwise they are the distinct strings in
// order of first appearance.
func (l *labeler) finish(t *Table) error {
	names, class := l.integerClasses()
	if names == nil {
		names = l.first
		class = func(k int32) int32 { return k }
	}
	if len(names) < 2 {
		return fmt.Errorf("only one class (%q) in column %q: need at least 2 classes", names[0], t.Label)
	}
	for i, k := range l.rows {
		t.Y[i] = class(k)
	}
	t.ClassNames = names
	return nil
}

// integerClasses returns the sorted distinct integer labels and the
// mapping from first-appearance index to class, or nil if some label is
// not an integer.
func (l *labeler) integerClasses() ([]string, func(int32) int32) {
	of := make([]int64, len(l.first))
	for k, s := range l.first {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, nil
		}
		of[k] = v
	}
	vals := slices.Clone(of)
	slices.Sort(vals)
	vals = slices.Compact(vals)
	names := make([]string, len(vals))
	for i, v := range vals {
		names[i] = strconv.FormatInt(v, 10)
	}
	return names, func(k int32) int32 {
		i, _ := slices.BinarySearch(vals, of[k])
		return int32(i)
	}
}

package data

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// FromTable turns a parsed CSV table into a Set: a stratified, seeded
// train/test split (cfg.TestFrac, default DefaultTestFrac) and features
// standardised with the mean and standard deviation of the training split
// (constant columns are only centred). Two-feature tables get Bounds. Label
// noise comes from cfg.LabelNoise; cfg.Name names the set. Other fields of
// cfg are ignored.
func FromTable(t *Table, cfg Config, seed int64) (*Set, error) {
	if bad(cfg.TestFrac) || cfg.TestFrac < 0 || cfg.TestFrac > MaxTestFrac {
		return nil, fmt.Errorf("data.test_frac: %v is out of range (0, %v] (0 means the default %v)", cfg.TestFrac, MaxTestFrac, DefaultTestFrac)
	}
	if bad(cfg.LabelNoise) || cfg.LabelNoise < 0 || cfg.LabelNoise > MaxLabelNoise {
		return nil, fmt.Errorf("data.label_noise: %v is out of range [0, %v]", cfg.LabelNoise, MaxLabelNoise)
	}
	s, err := tableSet(t, cfg, seed)
	if err != nil {
		return nil, err
	}
	applyLabelNoise(s, cfg.LabelNoise, seed)
	return s, nil
}

// tableSet splits and standardises t, without label noise.
func tableSet(t *Table, cfg Config, seed int64) (*Set, error) {
	dim, n := t.Dim(), t.Rows()
	if dim == 0 || n == 0 || len(t.X) != n*dim || len(t.ClassNames) < 2 {
		return nil, fmt.Errorf("csv: empty or inconsistent table (%d rows, %d features, %d values, %d classes)", n, dim, len(t.X), len(t.ClassNames))
	}
	for _, y := range t.Y {
		if y < 0 || int(y) >= len(t.ClassNames) {
			return nil, fmt.Errorf("csv: label index %d out of range [0, %d)", y, len(t.ClassNames))
		}
	}
	testFrac := cfg.TestFrac
	if testFrac == 0 {
		testFrac = DefaultTestFrac
	}
	train, test, err := stratifiedSplit(t.Y, len(t.ClassNames), testFrac, newRand(seed, streamSplit))
	if err != nil {
		return nil, fmt.Errorf("csv: %d rows: %w", n, err)
	}
	mean, scale := standardiser(t.X, dim, train)
	conv := func(idx []int) ([]float32, []int32) {
		x := make([]float32, 0, len(idx)*dim)
		y := make([]int32, len(idx))
		for k, i := range idx {
			for j, v := range t.X[i*dim : (i+1)*dim] {
				x = append(x, float32((v-mean[j])*scale[j]))
			}
			y[k] = t.Y[i]
		}
		return x, y
	}
	name := cfg.Name
	if name == "" {
		name = "csv"
	}
	s := &Set{Name: name, Classes: len(t.ClassNames), Dim: dim, ClassNames: append([]string(nil), t.ClassNames...)}
	s.TrainX, s.TrainY = conv(train)
	s.TestX, s.TestY = conv(test)
	if dim == 2 {
		s.Bounds = squareBounds(s.TrainX, s.TestX)
	}
	return s, nil
}

// standardiser returns each feature's training mean and 1/std (1 for a
// constant feature).
func standardiser(x []float64, dim int, rows []int) (mean, scale []float64) {
	mean = make([]float64, dim)
	scale = make([]float64, dim)
	for _, i := range rows {
		for j, v := range x[i*dim : (i+1)*dim] {
			mean[j] += v
		}
	}
	n := float64(len(rows))
	for j := range mean {
		mean[j] /= n
	}
	for _, i := range rows {
		for j, v := range x[i*dim : (i+1)*dim] {
			d := v - mean[j]
			scale[j] += d * d
		}
	}
	for j := range scale {
		sd := math.Sqrt(scale[j] / n)
		if sd > 0 && !math.IsInf(1/sd, 0) {
			scale[j] = 1 / sd
		} else {
			scale[j] = 1
		}
	}
	return mean, scale
}

// loadCSVFile reads a csv:PATH dataset without label noise (Load adds it).
func loadCSVFile(cfg Config, seed int64) (*Set, error) {
	path, _ := cfg.CSVPath()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data.name: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxCSVBytes {
		return nil, fmt.Errorf("%s: file too large: %d bytes, the limit is %d MiB", filepath.Base(path), st.Size(), MaxCSVBytes>>20)
	}
	t, err := ParseCSV(f, CSVOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return tableSet(t, cfg, seed)
}

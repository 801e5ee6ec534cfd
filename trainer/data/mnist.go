package data

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
)

// mnistData is MNIST decoded once per folder and shared, read-only, by
// every Set loaded from it.
type mnistData struct {
	dir           string // absolute folder, the cache key
	w, h          int
	trainX, testX []byte // pixels, 0..255 (features are pixel/255)
	trainY, testY []int32
	classes       int
	classNames    []string
}

type mnistEntry struct {
	mu sync.Mutex
	d  *mnistData
}

var mnistCache = struct {
	sync.Mutex
	m map[string]*mnistEntry
}{m: map[string]*mnistEntry{}}

// cachedMNIST returns the decoded MNIST of cfg.Dir (or the module's),
// decoding it on first use. Failures are not cached, so a later call may
// succeed once the files are there.
func cachedMNIST(dir string) (*mnistData, error) {
	dir, err := FindMNIST(dir)
	if err != nil {
		return nil, err
	}
	key, err := filepath.Abs(dir)
	if err != nil {
		key = dir
	}
	mnistCache.Lock()
	e := mnistCache.m[key]
	if e == nil {
		e = &mnistEntry{}
		mnistCache.m[key] = e
	}
	mnistCache.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.d == nil {
		d, err := decodeMNIST(dir)
		if err != nil {
			return nil, err
		}
		d.dir = key
		e.d = d
	}
	return e.d, nil
}

// decodeMNIST reads and checks the four idx files of dir, in parallel.
func decodeMNIST(dir string) (*mnistData, error) {
	type result struct {
		d   *IDX
		err error
	}
	dims := []int{3, 1, 3, 1}
	res := make([]result, len(mnistFiles))
	var wg sync.WaitGroup
	for i, f := range mnistFiles {
		wg.Go(func() {
			alloc := lastingBytes
			if dims[i] == 1 {
				alloc = nil // labels become int32: the bytes are dropped
			}
			d, err := readIDXFile(filepath.Join(dir, f), dims[i], alloc)
			res[i] = result{d, err}
		})
	}
	wg.Wait()
	for _, r := range res {
		if r.err != nil {
			return nil, r.err
		}
	}
	trImg, trLab, teImg, teLab := res[0].d, res[1].d, res[2].d, res[3].d
	m := &mnistData{w: trImg.Dims[2], h: trImg.Dims[1]}
	if teImg.Dims[1] != m.h || teImg.Dims[2] != m.w {
		return nil, fmt.Errorf("%s: images are %dx%d but the training images are %dx%d",
			filepath.Join(dir, TestImagesFile), teImg.Dims[2], teImg.Dims[1], m.w, m.h)
	}
	var err error
	if m.trainX, m.trainY, err = mnistPart(dir, TrainImagesFile, TrainLabelsFile, trImg, trLab); err != nil {
		return nil, err
	}
	if m.testX, m.testY, err = mnistPart(dir, TestImagesFile, TestLabelsFile, teImg, teLab); err != nil {
		return nil, err
	}
	for _, y := range [][]int32{m.trainY, m.testY} {
		for _, c := range y {
			m.classes = max(m.classes, int(c)+1)
		}
	}
	m.classNames = make([]string, m.classes)
	for i := range m.classNames {
		m.classNames[i] = strconv.Itoa(i)
	}
	return m, nil
}

// mnistPart checks that images and labels agree and converts the labels.
// The images stay bytes.
func mnistPart(dir, imgName, labName string, img, lab *IDX) ([]byte, []int32, error) {
	if img.Dims[0] != lab.Dims[0] {
		return nil, nil, fmt.Errorf("%s has %d images but %s has %d labels",
			filepath.Join(dir, imgName), img.Dims[0], filepath.Join(dir, labName), lab.Dims[0])
	}
	y := make([]int32, len(lab.Data))
	for i, c := range lab.Data {
		if c > 9 {
			return nil, nil, fmt.Errorf("%s: label %d of example %d is not a digit 0-9", filepath.Join(dir, labName), c, i)
		}
		y[i] = int32(c)
	}
	return img.Data, y, nil
}

// loadMNISTSet returns the full MNIST set. Its features and test labels
// are shared with the cache; Load copies the training labels.
func loadMNISTSet(cfg Config) (*Set, error) {
	m, err := cachedMNIST(cfg.Dir)
	if err != nil {
		return nil, err
	}
	return &Set{
		Name: MNIST, Classes: m.classes, Dim: m.w * m.h, ImageW: m.w, ImageH: m.h,
		TrainPix: m.trainX, TrainY: m.trainY, TestPix: m.testX, TestY: m.testY,
		ClassNames: append([]string(nil), m.classNames...),
	}, nil
}

// Prefetch starts decoding the MNIST files that cfg needs (mnist and
// mnist-detect) in the background and returns at once, so that a program
// can do its other start-up work meanwhile; Load then waits for that
// decode instead of starting its own. It reports whether it started one
// (other datasets are not prefetched) and returns at once an error when
// the files are missing; other errors are left for Load to report.
func Prefetch(cfg Config) (bool, error) {
	if k := kindOf(cfg.Name); k != kindMNIST && k != kindDetect {
		return false, nil
	}
	if _, err := FindMNIST(cfg.Dir); err != nil {
		return false, err
	}
	go cachedMNIST(cfg.Dir)
	return true, nil
}

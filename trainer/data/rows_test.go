package data

import (
	"slices"
	"testing"
)

func TestRowsTo(t *testing.T) {
	floats := &Set{Dim: 2, TrainX: []float32{1, 2, 3, 4}, TrainY: []int32{0, 1}, TestX: []float32{5, 6, 7, 8}, TestY: []int32{0, 1}}
	pix := &Set{Dim: 2, TrainPix: []byte{0, 255, 51, 102}, TrainY: []int32{0, 1}, TestPix: []byte{1, 2, 3, 4}, TestY: []int32{0, 1}}
	tests := []struct {
		name       string
		s          *Set
		train1     []float32
		test01     []float32
		wantNilPix bool
	}{
		{"float32 features", floats, []float32{3, 4}, []float32{5, 6, 7, 8}, true},
		{"pixels", pix, []float32{0.2, 0.4}, []float32{1.0 / 255, 2.0 / 255, 3.0 / 255, 4.0 / 255}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]float32, 2)
			tt.s.TrainRowTo(got, 1)
			if !slices.Equal(got, tt.train1) {
				t.Errorf("TrainRowTo(1) = %v, want %v", got, tt.train1)
			}
			got = make([]float32, 4)
			tt.s.TestRowsTo(got, 0, 2)
			if !slices.Equal(got, tt.test01) {
				t.Errorf("TestRowsTo(0, 2) = %v, want %v", got, tt.test01)
			}
			if b := tt.s.TrainRowBytes(1); (b == nil) != tt.wantNilPix {
				t.Errorf("TrainRowBytes(1) = %v", b)
			}
		})
	}
}

func TestLastingBytes(t *testing.T) {
	b := lastingBytes(1 << 20)
	if len(b) != 1<<20 || slices.Max(b) != 0 {
		t.Fatalf("lastingBytes: len %d, not zeroed", len(b))
	}
	b[len(b)-1] = 7 // writable
}

// TestPixelsTo holds the vectorised conversion to PixelScale, bit for bit,
// for every byte value at every offset and length around the vector width.
func TestPixelsTo(t *testing.T) {
	src := make([]byte, 256+37)
	for i := range src {
		src[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 100, 256, len(src) - 3} {
		for _, off := range []int{0, 1, 3} {
			in := src[off : off+n]
			got := make([]float32, n+1)
			got[n] = -1
			pixelsTo(got, in)
			for j, p := range in {
				if got[j] != PixelScale[p] {
					t.Fatalf("n %d off %d: pixel %d (%d) = %v, want %v", n, off, j, p, got[j], PixelScale[p])
				}
			}
			if got[n] != -1 {
				t.Fatalf("n %d off %d: wrote past the row", n, off)
			}
		}
	}
}

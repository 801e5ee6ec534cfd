package data

// PixelScale maps a pixel byte to its feature value in [0, 1].
var PixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// TrainRowTo writes the features of training example i into dst (len
// Dim), converting pixels to [0, 1] when the set keeps bytes.
func (s *Set) TrainRowTo(dst []float32, i int) {
	rowsTo(dst[:s.Dim], s.TrainX, s.TrainPix, s.Dim, i, 1)
}

// TestRowsTo writes the features of test examples first..first+n-1 into
// dst (len n*Dim).
func (s *Set) TestRowsTo(dst []float32, first, n int) {
	rowsTo(dst[:n*s.Dim], s.TestX, s.TestPix, s.Dim, first, n)
}

// TrainRowBytes returns the pixels of training example i (a view, not a
// copy), or nil when the set keeps float32 features.
func (s *Set) TrainRowBytes(i int) []byte {
	if s.TrainPix == nil {
		return nil
	}
	return s.TrainPix[i*s.Dim : (i+1)*s.Dim]
}

func rowsTo(dst, x []float32, pix []byte, dim, first, n int) {
	lo, hi := first*dim, (first+n)*dim
	if pix == nil {
		copy(dst, x[lo:hi])
		return
	}
	pixelsTo(dst, pix[lo:hi])
}

// pixelsToGo sets dst[j] = PixelScale[src[j]], eight at a time (len(dst)
// >= len(src)).
func pixelsToGo(dst []float32, src []byte) {
	dst = dst[:len(src)]
	t := &PixelScale
	j := 0
	for ; j+8 <= len(src); j += 8 {
		s := src[j : j+8 : j+8]
		d := dst[j : j+8 : j+8]
		d[0], d[1], d[2], d[3] = t[s[0]], t[s[1]], t[s[2]], t[s[3]]
		d[4], d[5], d[6], d[7] = t[s[4]], t[s[5]], t[s[6]], t[s[7]]
	}
	for ; j < len(src); j++ {
		dst[j] = t[src[j]]
	}
}

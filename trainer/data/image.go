package data

import (
	"fmt"
	"image"
)

// Image renders training example id of an image set (ImageW x ImageH) as
// 8-bit grayscale: pixels kept as bytes are copied, float features in
// [0, 1] map to 0..255 and others are clamped.
func (s *Set) Image(id int) (*image.Gray, error) {
	if s.ImageW <= 0 || s.ImageH <= 0 {
		return nil, fmt.Errorf("dataset %s has no images", s.Name)
	}
	if id < 0 || id >= s.NumTrain() {
		return nil, fmt.Errorf("no training example %d: ids run from 0 to %d", id, s.NumTrain()-1)
	}
	n := s.ImageW * s.ImageH
	img := image.NewGray(image.Rect(0, 0, s.ImageW, s.ImageH))
	if n > s.Dim || (id+1)*s.Dim > max(len(s.TrainX), len(s.TrainPix)) {
		return nil, fmt.Errorf("dataset %s: image size %dx%d does not fit its %d features", s.Name, s.ImageW, s.ImageH, s.Dim)
	}
	if px := s.TrainRowBytes(id); px != nil {
		copy(img.Pix, px[:n])
		return img, nil
	}
	for i, v := range s.TrainX[id*s.Dim : id*s.Dim+n] {
		switch {
		case !(v > 0): // also NaN
			img.Pix[i] = 0
		case v >= 1:
			img.Pix[i] = 255
		default:
			img.Pix[i] = uint8(v*255 + 0.5)
		}
	}
	return img, nil
}

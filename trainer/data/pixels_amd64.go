//go:build !purego

package data

import "golang.org/x/sys/cpu"

// hasPixelKernel reports whether pixelsAVX2 can run here.
var hasPixelKernel = cpu.X86.HasAVX2

// pixelsAVX2 sets dst[j] = float32(src[j]) / 255 for j < n, n a multiple
// of 16: the same correctly rounded division as PixelScale
// (pixels_amd64.s).
//
//go:noescape
func pixelsAVX2(dst *float32, src *byte, n int)

// pixelsTo sets dst[j] = PixelScale[src[j]] (len(dst) >= len(src)).
func pixelsTo(dst []float32, src []byte) {
	dst = dst[:len(src)]
	n := len(src) &^ 15
	if hasPixelKernel && n > 0 {
		pixelsAVX2(&dst[0], &src[0], n)
		dst, src = dst[n:], src[n:]
	}
	pixelsToGo(dst, src)
}

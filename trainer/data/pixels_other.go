//go:build !amd64 || purego

package data

// pixelsTo sets dst[j] = PixelScale[src[j]] (len(dst) >= len(src)).
func pixelsTo(dst []float32, src []byte) { pixelsToGo(dst, src) }

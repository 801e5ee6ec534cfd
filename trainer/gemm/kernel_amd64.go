//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

// hasKernel reports whether the assembly micro-kernel can run here.
var hasKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kern6x16 is the AVX2/FMA micro-kernel (kernel_amd64.s).
//
//go:noescape
func kern6x16(k int, a, b, c *float32)

// kern6x16acc is kern6x16 that adds alpha times the tile into C (row-major,
// leading dimension ldc) instead of storing it (kernel_amd64.s).
//
//go:noescape
func kern6x16acc(k int, a, b, c *float32, ldc int, alpha float32)

// kern6x16rows is kern6x16acc reading A in place: six consecutive rows of
// a row-major matrix with leading dimension lda, from a (kernel_amd64.s).
//
//go:noescape
func kern6x16rows(k int, a *float32, lda int, b, c *float32, ldc int, alpha float32)

// packRows16 copies k rows of 16 floats, row p from src + p·ld, to
// dst + 16·p (kernel_amd64.s).
//
//go:noescape
func packRows16(dst, src *float32, ld, k int)

// packRows6 copies k rows of 6 floats, row p from src + p·ld, to
// dst + 6·p (kernel_amd64.s).
//
//go:noescape
func packRows6(dst, src *float32, ld, k int)

//go:build !purego

package gemm

import "golang.org/x/sys/cpu"

// hasKernel reports whether the assembly micro-kernel can run here.
var hasKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kern6x16 is the AVX2/FMA micro-kernel (kernel_amd64.s).
//
//go:noescape
func kern6x16(k int, a, b, c *float32)

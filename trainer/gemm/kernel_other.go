//go:build !amd64 || purego

package gemm

// hasKernel is false: there is no assembly micro-kernel for this
// architecture, and Sgemm uses gonum's.
var hasKernel = false

func kern6x16(k int, a, b, c *float32) { panic("gemm: no micro-kernel") }

func kern6x16acc(k int, a, b, c *float32, ldc int, alpha float32) { panic("gemm: no micro-kernel") }

func kern6x16rows(k int, a *float32, lda int, b, c *float32, ldc int, alpha float32) {
	panic("gemm: no micro-kernel")
}

func packRows16(dst, src *float32, ld, k int) { panic("gemm: no micro-kernel") }

func packRows6(dst, src *float32, ld, k int) { panic("gemm: no micro-kernel") }

// Package gemm is a float32 matrix product for the shapes OHEM Lab's
// training step uses (batches of 32-128 rows, layers of 10-1024 units):
// blocked and packed, with a 6×16 AVX2/FMA micro-kernel in Go assembly,
// split over the available cores for large products. Impl implements
// gonum's blas.Float32 and blas.Float64 (everything but Sgemm is gonum's),
// so it can be registered as Gorgonia's BLAS and as gonum's blas32.
package gemm

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Micro-tile and block sizes: mr×nr is the micro-kernel's tile; kc is the
// depth of one packed block (kc×nr floats of B, 16 KB, stay in L1).
const (
	mr = 6
	nr = 16
	kc = 256
)

// Thresholds in multiply-adds (m·n·k): below minKernel the packing costs
// more than it saves and gonum's Sgemm is used; from minParallel on, the
// row panels are split over the available cores.
const (
	minKernel   = 16 * 16 * 16
	minParallel = 1 << 18
)

// Impl is gonum's BLAS with a faster Sgemm where the CPU has AVX2 and FMA.
type Impl struct {
	gonum.Implementation
}

// Available reports whether Sgemm uses the micro-kernel on this machine
// (amd64 with AVX2 and FMA); otherwise Impl is gonum's BLAS.
func Available() bool { return hasKernel }

// bufPool holds packing buffers.
var bufPool = sync.Pool{New: func() any { return new([]float32) }}

func getBuf(n int) *[]float32 {
	p := bufPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// op(A) m×k and op(B) k×n, like gonum's (which it falls back to for small
// or degenerate products and for argument checks).
func (im Impl) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !hasKernel || m*n*k < minKernel || alpha == 0 || !argsOK(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) {
		im.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	scaleC(m, n, beta, c, ldc)
	np := (n + nr - 1) / nr
	mp := (m + mr - 1) / mr
	workers := 1
	if m*n*k >= minParallel {
		workers = min(runtime.GOMAXPROCS(0), mp)
	}
	pb := getBuf(np * kc * nr)
	defer bufPool.Put(pb)
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		packB(*pb, tB, b, ldb, p0, kb, n)
		if workers == 1 {
			rowPanels(0, mp, tA, a, lda, p0, kb, m, n, alpha, *pb, c, ldc)
			continue
		}
		var wg sync.WaitGroup
		for w := range workers {
			lo, hi := w*mp/workers, (w+1)*mp/workers
			wg.Go(func() { rowPanels(lo, hi, tA, a, lda, p0, kb, m, n, alpha, *pb, c, ldc) })
		}
		wg.Wait()
	}
}

// rowPanels packs row panels lo..hi-1 of op(A)'s columns p0..p0+kb-1 one at
// a time and adds alpha times their product with the packed B into C.
func rowPanels(lo, hi int, tA blas.Transpose, a []float32, lda, p0, kb, m, n int, alpha float32, pb []float32, c []float32, ldc int) {
	bufA := getBuf(kb * mr)
	defer bufPool.Put(bufA)
	pa := *bufA
	var tile [mr * nr]float32
	for ip := lo; ip < hi; ip++ {
		i0 := ip * mr
		rows := min(mr, m-i0)
		packA(pa, tA, a, lda, i0, rows, p0, kb)
		for jp := 0; jp*nr < n; jp++ {
			j0 := jp * nr
			cols := min(nr, n-j0)
			if rows == mr && cols == nr {
				kern6x16acc(kb, &pa[0], &pb[jp*kb*nr], &c[i0*ldc+j0], ldc, alpha)
				continue
			}
			kern6x16(kb, &pa[0], &pb[jp*kb*nr], &tile[0])
			for r := range rows {
				crow := c[(i0+r)*ldc+j0 : (i0+r)*ldc+j0+cols]
				t := tile[r*nr : r*nr+cols]
				for j := range crow {
					crow[j] += alpha * t[j]
				}
			}
		}
	}
}

// packB writes rows p0..p0+kb-1 of op(B) as panels of nr columns: panel jp
// holds kb steps of nr values (zero past column n).
func packB(dst []float32, tB blas.Transpose, b []float32, ldb, p0, kb, n int) {
	for j0 := 0; j0 < n; j0 += nr {
		panel := dst[(j0/nr)*kb*nr : (j0/nr+1)*kb*nr]
		cols := min(nr, n-j0)
		for p := range kb {
			d := panel[p*nr : p*nr+nr]
			if tB == blas.NoTrans {
				copy(d, b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+cols])
			} else {
				for j := range cols {
					d[j] = b[(j0+j)*ldb+p0+p]
				}
			}
			clear(d[cols:])
		}
	}
}

// packA writes rows i0..i0+rows-1 of op(A), columns p0..p0+kb-1, as kb
// steps of mr values (zero past the last row).
func packA(dst []float32, tA blas.Transpose, a []float32, lda, i0, rows, p0, kb int) {
	if tA == blas.NoTrans {
		for r := range rows {
			src := a[(i0+r)*lda+p0 : (i0+r)*lda+p0+kb]
			for p, v := range src {
				dst[p*mr+r] = v
			}
		}
	} else {
		for p := range kb {
			copy(dst[p*mr:p*mr+rows], a[(p0+p)*lda+i0:(p0+p)*lda+i0+rows])
		}
	}
	for r := rows; r < mr; r++ {
		for p := range kb {
			dst[p*mr+r] = 0
		}
	}
}

// scaleC sets C = beta·C (zero when beta is 0, whatever C held).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// argsOK reports whether the arguments are well formed; otherwise gonum's
// Sgemm is called to panic with its message.
func argsOK(tA, tB blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) bool {
	if m <= 0 || n <= 0 || k <= 0 || (tA != blas.NoTrans && tA != blas.Trans) || (tB != blas.NoTrans && tB != blas.Trans) {
		return false
	}
	ra, ca := m, k
	if tA == blas.Trans {
		ra, ca = k, m
	}
	rb, cb := k, n
	if tB == blas.Trans {
		rb, cb = n, k
	}
	return lda >= max(1, ca) && ldb >= max(1, cb) && ldc >= max(1, n) &&
		len(a) >= lda*(ra-1)+ca && len(b) >= ldb*(rb-1)+cb && len(c) >= ldc*(m-1)+n
}

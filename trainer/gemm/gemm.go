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
// product is split over the available cores (below it, handing half of it
// to another thread costs more than it saves: the trainer's 128×10×256
// products ran slower split).
const (
	minKernel   = 16 * 16 * 16
	minParallel = 1 << 21
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
//
// Large products are split over the cores once per call: by column panels
// when op(B) is the larger operand (each worker packs its own columns of
// op(B) and all of op(A)), else by row panels. The calling goroutine
// computes the first share itself.
func (im Impl) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !hasKernel || m*n*k < minKernel || alpha == 0 || !argsOK(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) {
		im.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	scaleC(m, n, beta, c, ldc)
	np := (n + nr - 1) / nr
	mp := (m + mr - 1) / mr
	p := product{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	workers := 1
	if m*n*k >= minParallel {
		workers = min(runtime.GOMAXPROCS(0), max(np, mp))
	}
	if workers == 1 {
		p.block(0, mp, 0, np)
		return
	}
	// Each worker packs its share of one operand and all of the other:
	// split the one with more to pack (op(B) k×n against op(A) m×k).
	byCols := n > m && np >= workers
	share := func(w int) {
		if byCols {
			p.block(0, mp, w*np/workers, (w+1)*np/workers)
		} else {
			p.block(w*mp/workers, (w+1)*mp/workers, 0, np)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { share(w) })
	}
	share(0)
	wg.Wait()
}

// product holds the arguments of one Sgemm call (after scaling C by beta).
type product struct {
	tA, tB  blas.Transpose
	m, n, k int
	alpha   float32
	a, b, c []float32
	lda     int
	ldb     int
	ldc     int
}

// block adds alpha·op(A)·op(B) into C for row panels ip0..ip1-1 and
// column panels jp0..jp1-1: for every depth block of kc, it packs those
// columns of op(B), then packs one row panel of op(A) at a time and runs
// the micro-kernel over the column panels.
func (p *product) block(ip0, ip1, jp0, jp1 int) {
	if ip0 >= ip1 || jp0 >= jp1 {
		return
	}
	j0, j1 := jp0*nr, min(p.n, jp1*nr)
	bufB := getBuf((jp1 - jp0) * kc * nr)
	defer bufPool.Put(bufB)
	bufA := getBuf(kc * mr)
	defer bufPool.Put(bufA)
	pa, pb := *bufA, *bufB
	var tile [mr * nr]float32
	ldc := p.ldc
	for p0 := 0; p0 < p.k; p0 += kc {
		kb := min(kc, p.k-p0)
		packB(pb, p.tB, p.b, p.ldb, p0, kb, j0, j1)
		for ip := ip0; ip < ip1; ip++ {
			i0 := ip * mr
			rows := min(mr, p.m-i0)
			// Six full rows of an untransposed A are read in place by
			// kern6x16rows; anything else is packed first.
			inPlace := p.tA == blas.NoTrans && rows == mr
			packed := false
			for jp := jp0; jp < jp1; jp++ {
				c0 := jp * nr
				cols := min(nr, p.n-c0)
				panel := &pb[(jp-jp0)*kb*nr]
				if inPlace && cols == nr {
					kern6x16rows(kb, &p.a[i0*p.lda+p0], p.lda, panel, &p.c[i0*ldc+c0], ldc, p.alpha)
					continue
				}
				if inPlace {
					// A narrow last panel (the output layer's 10
					// columns): A is still read in place, into the
					// tile, rather than packed for one panel.
					clear(tile[:])
					kern6x16rows(kb, &p.a[i0*p.lda+p0], p.lda, panel, &tile[0], nr, 1)
					addTile(p.c[i0*ldc+c0:], ldc, tile[:], mr, cols, p.alpha)
					continue
				}
				if !packed {
					packA(pa, p.tA, p.a, p.lda, i0, rows, p0, kb)
					packed = true
				}
				if rows == mr && cols == nr {
					kern6x16acc(kb, &pa[0], panel, &p.c[i0*ldc+c0], ldc, p.alpha)
					continue
				}
				kern6x16(kb, &pa[0], panel, &tile[0])
				addTile(p.c[i0*ldc+c0:], ldc, tile[:], rows, cols, p.alpha)
			}
		}
	}
}

// addTile adds alpha times the first rows×cols of a micro-tile (rows of
// nr values) into c (leading dimension ldc).
func addTile(c []float32, ldc int, tile []float32, rows, cols int, alpha float32) {
	for r := range rows {
		crow := c[r*ldc : r*ldc+cols]
		t := tile[r*nr : r*nr+cols]
		for j := range crow {
			crow[j] += alpha * t[j]
		}
	}
}

// packB writes rows p0..p0+kb-1 and columns j0..j1-1 of op(B) as panels
// of nr columns: panel q holds kb steps of nr values (zero past column j1).
func packB(dst []float32, tB blas.Transpose, b []float32, ldb, p0, kb, j0, j1 int) {
	for js := j0; js < j1; js += nr {
		q := (js - j0) / nr
		panel := dst[q*kb*nr : (q+1)*kb*nr]
		cols := min(nr, j1-js)
		if tB == blas.NoTrans && cols == nr && kb > 0 {
			// Whole rows of the panel: moved by packRows16 (Go would call
			// memmove for every 64 bytes).
			_ = b[(p0+kb-1)*ldb+js+nr-1]
			packRows16(&panel[0], &b[p0*ldb+js], ldb, kb)
			continue
		}
		for p := range kb {
			d := panel[p*nr : p*nr+nr]
			if tB == blas.NoTrans {
				copy(d, b[(p0+p)*ldb+js:(p0+p)*ldb+js+cols])
			} else {
				for j := range cols {
					d[j] = b[(js+j)*ldb+p0+p]
				}
			}
			clear(d[cols:])
		}
	}
}

// packA writes rows i0..i0+rows-1 of op(A), columns p0..p0+kb-1, as kb
// steps of mr values (zero past the last row).
func packA(dst []float32, tA blas.Transpose, a []float32, lda, i0, rows, p0, kb int) {
	if tA == blas.NoTrans && rows == mr {
		// A full panel: read the six rows side by side and write each
		// step's six values together.
		base := i0*lda + p0
		a0 := a[base : base+kb]
		a1 := a[base+lda : base+lda+kb]
		a2 := a[base+2*lda : base+2*lda+kb]
		a3 := a[base+3*lda : base+3*lda+kb]
		a4 := a[base+4*lda : base+4*lda+kb]
		a5 := a[base+5*lda : base+5*lda+kb]
		for p := range a0 {
			d := dst[p*mr : p*mr+mr : p*mr+mr]
			d[0], d[1], d[2], d[3], d[4], d[5] = a0[p], a1[p], a2[p], a3[p], a4[p], a5[p]
		}
		return
	}
	switch {
	case tA == blas.NoTrans:
		for r := range rows {
			src := a[(i0+r)*lda+p0 : (i0+r)*lda+p0+kb]
			for p, v := range src {
				dst[p*mr+r] = v
			}
		}
	case rows == mr && kb > 0:
		// Six consecutive values per step: moved by packRows6.
		_ = dst[kb*mr-1]
		_ = a[(p0+kb-1)*lda+i0+mr-1]
		packRows6(&dst[0], &a[p0*lda+i0], lda, kb)
		return
	default:
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

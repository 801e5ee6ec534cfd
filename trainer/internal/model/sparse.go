package model

import (
	"runtime"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/ohemlab/ohemlab/trainer/internal/vec"
)

// Sparse inputs. Most MNIST pixels are zero (about 19% of the training
// pixels are not), and a zero input adds nothing to the first layer's
// products: z1 = x·W1 + b1 forward and W1's gradient xᵀ·dL/dz1 backward.
// When a batch is sparse enough, both products run over its non-zero
// inputs only:
//
//	z1[i,:] = b1 + Σ_{p: x[i,p] ≠ 0} x[i,p]·W1[p,:]
//	dW1[p,:] = Σ_{i: x[i,p] ≠ 0} x[i,p]·dz1[i,:]
//
// each a sum of whole rows of W1 (or of dL/dz1) picked by the non-zero
// inputs (vec.GatherAxpy), about a fifth of the dense products'
// multiply-adds on MNIST. Denser batches (2-D data, CSV uploads) keep the
// dense product on the build's BLAS. A zero input contributes exactly
// nothing to a sum of finite values, so the sparse products differ from
// the dense ones only in the order of the additions (the weight gradient
// adds in the same order as package gemm, the forward pass sums all 784
// inputs at once where gemm adds blocks of 256).

// sparseMaxDensity is the largest share of non-zero inputs in a batch for
// which the first layer takes the sparse products. Measured on the
// training step's shapes with non-zeros scattered uniformly (MNIST's
// clustered strokes favour the sparse path; BenchmarkFirstLayer): with the
// assembly kernels the sparse forward product of 128×784 inputs by 784×256
// weights is 2.4× faster than package gemm's dense one and 1.8× faster
// than OpenBLAS's at 19% non-zero, and breaks even at about 45% and 35%;
// 30% keeps a margin. The Go loops of other CPUs and -tags purego beat
// gonum's Sgemm only below about 10%, so MNIST stays dense there.
var sparseMaxDensity = func() float64 {
	if vec.SparseKernels() {
		return 0.3
	}
	return 0.1
}()

// sparseOff turns the sparse products off (SetSparseInputs(false)): every
// batch takes the dense product, for comparing the two.
var sparseOff atomic.Bool

// SetSparseInputs chooses whether the first layer may skip zero inputs
// (the default) or always multiplies densely; it returns the previous
// setting. For benchmarks that compare the two paths; both compute the
// same values up to the order of the additions.
func SetSparseInputs(on bool) bool { return !sparseOff.Swap(!on) }

// sparseRows holds a batch of inputs as compressed rows: row i's non-zero
// inputs are idx[ptr[i]:ptr[i+1]] (their positions) and the same range of
// vals (their values). The column view (cptr, crow, cval: for input p,
// the rows where it is non-zero and its values there) is built from it
// for the weight gradient.
type sparseRows struct {
	n, in int
	ptr   []int32
	idx   []int32
	vals  []float32
	cptr  []int32
	crow  []int32
	cval  []float32
}

// scan fills s from x (n rows of in inputs) and reports whether the
// batch is sparse enough for the sparse products; it stops early, with
// false, as soon as the batch is known to be too dense.
func (s *sparseRows) scan(x []float32, n, in int) bool {
	if sparseOff.Load() || n <= 0 || in <= 0 || len(x) < n*in {
		return false
	}
	s.n, s.in = n, in
	if cap(s.idx) < n*in {
		s.idx, s.vals = make([]int32, n*in), make([]float32, n*in)
	}
	if cap(s.ptr) < n+1 {
		s.ptr = make([]int32, n+1)
	}
	s.idx, s.vals, s.ptr = s.idx[:n*in], s.vals[:n*in], s.ptr[:n+1]
	limit := int(sparseMaxDensity * float64(n*in))
	k := 0
	for i := range n {
		s.ptr[i] = int32(k)
		k += vec.NonZeros(s.idx[k:k+in], s.vals[k:k+in], x[i*in:(i+1)*in])
		if k > limit {
			return false
		}
	}
	s.ptr[n] = int32(k)
	return true
}

// row returns row i's non-zero positions and values.
func (s *sparseRows) row(i int) ([]int32, []float32) {
	lo, hi := s.ptr[i], s.ptr[i+1]
	return s.idx[lo:hi], s.vals[lo:hi]
}

// minParallelSparse is the smallest sparse product, in multiply-adds
// (non-zero inputs × outputs), split over two cores.
const minParallelSparse = 1 << 20

// parallel reports whether a sparse product of nnz non-zero inputs by out
// outputs is split over two cores: the forward product by batch rows, the
// weight gradient by input (each core writes its half of the weights' rows).
// Splitting the forward product by input too, so that each core would
// read only its half of the weights, needed a pass adding the two
// partial sums and measured no faster.
func parallel(nnz, out int) bool {
	return nnz*out >= minParallelSparse && runtime.GOMAXPROCS(0) > 1
}

// mulAdd sets z (n × out) to b + x·w, x the scanned rows and w in × out.
func (s *sparseRows) mulAdd(z, w, b []float32, out int) {
	rows := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			zr := z[i*out : (i+1)*out]
			copy(zr, b[:out])
			idx, vals := s.row(i)
			vec.GatherAxpy(zr, 1, idx, vals, w, out)
		}
	}
	if !parallel(int(s.ptr[s.n]), out) {
		rows(0, s.n)
		return
	}
	parallelParts(s.n, 2, rows)
}

// addXtDz adds alpha·xᵀ·dz to g (in × out), x the scanned rows and dz
// n × out; with clearFirst, g is set instead of added to. Each input's row
// of g is one sum over the rows where the input is non-zero, in row order,
// added to g once: the order package gemm adds in.
func (s *sparseRows) addXtDz(g []float32, alpha float32, dz []float32, out int, clearFirst bool) {
	s.columns()
	inputs := func(lo, hi int) {
		for p := lo; p < hi; p++ {
			gr := g[p*out : (p+1)*out]
			if clearFirst {
				clear(gr)
			}
			if e0, e1 := s.cptr[p], s.cptr[p+1]; e0 < e1 {
				vec.GatherAxpy(gr, alpha, s.crow[e0:e1], s.cval[e0:e1], dz, out)
			}
		}
	}
	if !parallel(int(s.ptr[s.n]), out) {
		inputs(0, s.in)
		return
	}
	parallelParts(s.in, 2, inputs)
}

// columns builds the column view from the rows (a counting sort by input,
// which keeps every input's rows in order).
func (s *sparseRows) columns() {
	nnz := int(s.ptr[s.n])
	if cap(s.cptr) < s.in+1 {
		s.cptr = make([]int32, s.in+1)
	}
	if cap(s.crow) < nnz {
		s.crow, s.cval = make([]int32, nnz), make([]float32, nnz)
	}
	s.cptr, s.crow, s.cval = s.cptr[:s.in+1], s.crow[:nnz], s.cval[:nnz]
	// Local slices: through s, every store would make the compiler load
	// the slices' headers again.
	cptr, crow, cval, ptr := s.cptr, s.crow, s.cval, s.ptr
	clear(cptr)
	for _, p := range s.idx[:nnz] {
		cptr[p+1]++
	}
	for p := range s.in {
		cptr[p+1] += cptr[p]
	}
	// cptr[p] is now input p's next free slot; afterwards cptr[p+1] is,
	// and shifting back restores the starts.
	for i := range s.n {
		lo, hi := ptr[i], ptr[i+1]
		vals := s.vals[lo:hi]
		for e, p := range s.idx[lo:hi] {
			at := cptr[p]
			crow[at], cval[at] = int32(i), vals[e]
			cptr[p] = at + 1
		}
	}
	copy(cptr[1:], cptr[:s.in])
	cptr[0] = 0
}

// denseMulAdd sets z (n × out) to b + x·w with the build's BLAS and a
// bias pass, as Gorgonia's Mul and the fused BiasAdd compute it.
func denseMulAdd(z, x, w, b []float32, n, in, out int) {
	blas32.Implementation().Sgemm(blas.NoTrans, blas.NoTrans, n, out, in, 1, x, in, w, out, 0, z, out)
	for i := range n {
		zr := z[i*out : (i+1)*out]
		for j, v := range b[:out] {
			zr[j] += v
		}
	}
}

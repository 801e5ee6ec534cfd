//go:build openblas

package trainer

// The openblas build routes every matrix multiply through OpenBLAS via cgo:
// Gorgonia's and gorgonia.org/tensor's BLAS and the gonum blas32/blas64
// packages used directly. It needs a C compiler and the OpenBLAS
// development files (Debian: libopenblas-dev). gonum's netlib binding does
// not name the library itself, so the link flag is set here.

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-multiply library this binary was built with:
// "gonum" (pure Go, the default build) or "openblas" (built with
// -tags openblas, cgo and the system's OpenBLAS). Reports print it so that
// speed figures say which build produced them.
const BLAS = "openblas"

func init() {
	impl := netlib.Implementation{}
	G.Use(impl)
	blas32.Use(impl)
	blas64.Use(impl)
}

//go:build openblas

package main

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"

import "gonum.org/v1/netlib/blas/netlib"

func init() {
	libraries = append(libraries, library{name: "openblas", impl: netlib.Implementation{}})
}

package main

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gonumImpl returns gonum's pure-Go BLAS.
func gonumImpl() blas.Float32 { return gonum.Implementation{} }

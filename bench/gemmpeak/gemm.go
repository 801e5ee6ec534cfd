package main

import "github.com/ohemlab/ohemlab/trainer/gemm"

// The default build's Sgemm (package gemm) is measured too, where the CPU
// has its micro-kernel (AVX2 and FMA; elsewhere it is gonum's).
func init() {
	if gemm.Available() {
		libraries = append(libraries, library{name: "gemm", impl: gemm.Impl{}})
	}
}

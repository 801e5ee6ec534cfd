//go:build openblas && !cgo

package model

// The openblas build needs cgo. Without it the file that selects OpenBLAS
// is left out, so fail the build with a name that says what to do.
var _ = openblasBuildNeedsCgo_SetCGO_ENABLED1AndInstallACompilerAndLibopenblasDev

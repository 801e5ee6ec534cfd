//go:build openblas

package tmpgemm

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"

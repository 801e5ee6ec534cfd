//go:build !unix

package data

// lastingBytes returns n zero bytes for data kept for the life of the
// process (on the heap on this system).
func lastingBytes(n int) []byte { return make([]byte, n) }

package ohem

// Hardest appends to dst[:0] the indices of the n highest losses of a
// pool, in increasing index order: the examples offline mining keeps from
// a scan. Ties go to the lower index, so the result is a deterministic
// function of the losses; n larger than the pool keeps the whole pool.
// It is TopKIndices with n clamped to [0, len(losses)].
func Hardest(dst []int, losses []float64, n int) []int {
	return TopKIndices(dst, losses, min(max(n, 0), len(losses)))
}

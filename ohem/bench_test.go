package ohem

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var benchSizes = []int{128, 1024, 65536}

// benchSelect measures Select in steady state with M = K/4 on batches with
// exponentially distributed losses.
func benchSelect(b *testing.B, strategy string, sizes []int) {
	for _, k := range sizes {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			in := randInput(rand.New(rand.NewPCG(uint64(k), 1)), k)
			s := mustNew(b, Params{Strategy: strategy, M: k / 4}, 1)
			dst, w := make([]int, 0, k), make([]float64, 0, k)
			b.ReportAllocs()
			b.SetBytes(int64(8 * k))
			for b.Loop() {
				var err error
				dst, w, err = s.Select(dst, w, in)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSelectTopK(b *testing.B)      { benchSelect(b, TopK, benchSizes) }
func BenchmarkSelectSelective(b *testing.B) { benchSelect(b, Selective, benchSizes) }
func BenchmarkSelectRandom(b *testing.B)    { benchSelect(b, Random, benchSizes) }
func BenchmarkSelectThreshold(b *testing.B) { benchSelect(b, Threshold, benchSizes) }
func BenchmarkSelectHardNeg(b *testing.B)   { benchSelect(b, HardNeg, benchSizes) }
func BenchmarkSelectAll(b *testing.B)       { benchSelect(b, All, benchSizes) }

func BenchmarkTopKIndices(b *testing.B) {
	for _, k := range benchSizes {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			losses := randLosses(rand.New(rand.NewPCG(uint64(k), 2)), k, false)
			dst := make([]int, 0, k)
			b.ReportAllocs()
			for b.Loop() {
				dst = TopKIndices(dst, losses, k/4)
			}
		})
	}
}

// BenchmarkQuantiles measures the five quantiles of a batch's losses,
// each call on other losses (as for every new batch: a branch predictor
// that learnt one batch's comparisons would flatter sorting).
func BenchmarkQuantiles(b *testing.B) {
	ps := []float64{0, 0.1, 0.5, 0.9, 1}
	for _, k := range benchSizes {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(uint64(k), 3))
			batches := make([][]float64, max(1, (1<<20)/k))
			for i := range batches {
				batches[i] = randLosses(rng, k, false)
			}
			dst := make([]float64, 0, len(ps))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				dst = Quantiles(dst, batches[i%len(batches)], ps)
			}
		})
	}
}

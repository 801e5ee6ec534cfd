package data

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func BenchmarkDecodeMNIST(b *testing.B) {
	dir, err := FindMNIST("")
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := decodeMNIST(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, cfg := range []Config{
		{Name: MNIST, LabelNoise: 0.1},
		{Name: MNISTDetect},
		{Name: Circle},
		{Name: Spiral, Size: MaxSize, LabelNoise: 0.1},
	} {
		b.Run(cfg.Name, func(b *testing.B) {
			if _, err := Load(cfg, 1); err != nil {
				b.Skip(err)
			}
			for b.Loop() {
				Load(cfg, 1)
			}
		})
	}
}

func BenchmarkParseCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("a,b,c,d,label\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&sb, "%d,%g,%g,%d,%s\n", i, float64(i)/7, -float64(i)*1e-3, i%13, []string{"x", "y"}[i%2])
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseCSV(strings.NewReader(in), CSVOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainRows converts a batch of 128 random MNIST-sized rows from
// bytes, as a training step does.
func BenchmarkTrainRows(b *testing.B) {
	const dim, n, batch = 784, 60000, 128
	pix := make([]byte, dim*n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range pix {
		if r.IntN(5) == 0 {
			pix[i] = byte(r.IntN(256))
		}
	}
	s := &Set{Dim: dim, TrainPix: pix}
	dst := make([]float32, batch*dim)
	ids := make([]int, batch)
	b.SetBytes(batch * dim)
	for b.Loop() {
		for i := range ids {
			ids[i] = r.IntN(n)
		}
		for j, id := range ids {
			s.TrainRowTo(dst[j*dim:(j+1)*dim], id)
		}
	}
}

package data

import (
	"fmt"
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

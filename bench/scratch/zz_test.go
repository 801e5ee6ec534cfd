package trainer

import (
	"math"
	"math/rand"
	"syscall"
	"testing"

	G "gorgonia.org/gorgonia"
)

type proto struct {
	m      *mlp
	fg, tg *netGraph
	fa, ta *rewinder
	solver G.Solver
	x      []float32
	labels []int
	logp   []float32
	sel    []int
}

func newProto(tb testing.TB, reuse bool) *proto {
	rng := rand.New(rand.NewSource(1))
	m := newMLP(784, []int{256}, 10, ActReLU, rng)
	fg, err := buildForward(m, 128)
	if err != nil {
		tb.Fatal(err)
	}
	tg, err := buildTrain(m, 32, lossSpec{})
	if err != nil {
		tb.Fatal(err)
	}
	p := &proto{m: m, fg: fg, tg: tg, solver: G.NewVanillaSolver(G.WithLearnRate(0.1))}
	if reuse {
		if p.fa = newRewinder(fg.vm, fg.g); p.fa == nil {
			tb.Fatal("no access")
		}
		if p.ta = newRewinder(tg.vm, tg.g); p.ta == nil {
			tb.Fatal("no access")
		}
	}
	drng := rand.New(rand.NewSource(2))
	p.x = make([]float32, 4096*784)
	for i := range p.x {
		p.x[i] = drng.Float32()
	}
	p.labels = make([]int, 4096)
	for i := range p.labels {
		p.labels[i] = drng.Intn(10)
	}
	p.logp = make([]float32, 128*10)
	return p
}

func (p *proto) step(tb testing.TB, s int) float64 {
	off := (s * 128) % (4096 - 128)
	copy(p.fg.x, p.x[off*784:(off+128)*784])
	if _, err := p.fg.run(p.logp); err != nil {
		tb.Fatal(err)
	}
	if p.fa != nil {
		p.fa.rewind()
	} else {
		p.fg.reset()
	}
	// pick the 32 rows with the lowest true logp
	p.sel = p.sel[:0]
	for r := 0; r < 32; r++ {
		p.sel = append(p.sel, (r*4+s)%128)
	}
	clear(p.tg.onehot)
	for r, i := range p.sel {
		copy(p.tg.x[r*784:(r+1)*784], p.x[(off+i)*784:(off+i+1)*784])
		p.tg.onehot[r*10+p.labels[off+i]] = 1
		p.tg.weight[r] = 1.0 / 32
	}
	cost, err := p.tg.run(nil)
	if err != nil {
		tb.Fatal(err)
	}
	vg := G.NodesToValueGrads(p.tg.learn)
	if !protoDV {
		vg = p.tg.valueGrads(p.m)
	}
	if protoFused {
		if err := sgdUpdate(p.m.params, p.tg.grads, 0.1); err != nil {
			tb.Fatal(err)
		}
	} else if err := p.solver.Step(vg); err != nil {
		tb.Fatal(err)
	}
	if p.ta != nil {
		p.ta.rewind()
	} else {
		p.tg.reset()
	}
	return cost
}

func TestReuseSame(t *testing.T) {
	a := newProto(t, false)
	protoDV = false
	defer func() { protoDV = true }()
	b := newProto(t, true)
	for s := 0; s < 50; s++ {
		ca, cb := a.step(t, s), b.step(t, s)
		if ca != cb {
			t.Fatalf("step %d: cost %v vs %v", s, ca, cb)
		}
		for i, p := range a.m.params {
			pa, pb := p.Data().([]float32), b.m.params[i].Data().([]float32)
			for j := range pa {
				if pa[j] != pb[j] {
					t.Fatalf("step %d param %d[%d]: %v vs %v", s, i, j, pa[j], pb[j])
				}
			}
		}
		for j := range a.logp {
			if a.logp[j] != b.logp[j] {
				t.Fatalf("step %d logp[%d]", s, j)
			}
		}
	}
}

func benchStep(b *testing.B, reuse bool) {
	p := newProto(b, reuse)
	for s := 0; s < 5; s++ {
		p.step(b, s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuNow()
	for i := 0; i < b.N; i++ {
		p.step(b, i)
	}
	b.ReportMetric(float64(cpuNow()-c0)/float64(b.N), "cpu-ns/op")
}

func cpuNow() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkProtoFresh(b *testing.B) { benchStep(b, false) }
func BenchmarkProtoReuse(b *testing.B) { benchStep(b, true) }
func BenchmarkProtoReuseNoDV(b *testing.B) {
	protoDV = false
	defer func() { protoDV = true }()
	benchStep(b, true)
}

func BenchmarkProtoReuseNoDVEngine(b *testing.B) {
	protoDV = false
	protoOpts = []G.VMOpt{G.WithEngine(fastEngine{})}
	defer func() { protoDV = true; protoOpts = nil }()
	benchStep(b, true)
}

func TestEngineClose(t *testing.T) {
	a := newProto(t, false)
	protoOpts = []G.VMOpt{G.WithEngine(fastEngine{})}
	defer func() { protoOpts = nil }()
	b := newProto(t, true)
	for s := 0; s < 50; s++ {
		ca, cb := a.step(t, s), b.step(t, s)
		if math.Abs(ca-cb) > 1e-5*math.Abs(ca) {
			t.Fatalf("step %d: cost %v vs %v", s, ca, cb)
		}
	}
	var maxd float64
	for i, p := range a.m.params {
		pa, pb := p.Data().([]float32), b.m.params[i].Data().([]float32)
		for j := range pa {
			maxd = math.Max(maxd, math.Abs(float64(pa[j]-pb[j])))
		}
	}
	t.Logf("max param diff after 50 steps %g", maxd)
	if maxd > 1e-4 {
		t.Fatal("too different")
	}
}

var protoFused bool

func TestFusedSame(t *testing.T) {
	a := newProto(t, false)
	protoDV = false
	protoFused = true
	protoOpts = []G.VMOpt{G.WithEngine(fastEngine{})}
	defer func() { protoDV = true; protoFused = false; protoOpts = nil }()
	b := newProto(t, true)
	protoOpts = nil
	c := newProto(t, true)
	protoFused = false
	for s := 0; s < 50; s++ {
		a.step(t, s)
		protoFused = true
		protoOpts = []G.VMOpt{G.WithEngine(fastEngine{})}
		b.step(t, s)
		protoOpts = nil
		c.step(t, s)
		protoFused = false
	}
	var maxd, maxc float64
	for i, p := range a.m.params {
		pa, pb, pc := p.Data().([]float32), b.m.params[i].Data().([]float32), c.m.params[i].Data().([]float32)
		for j := range pa {
			maxd = math.Max(maxd, math.Abs(float64(pa[j]-pb[j])))
			maxc = math.Max(maxc, math.Abs(float64(pa[j]-pc[j])))
		}
	}
	t.Logf("max param diff after 50 steps: fast engine + fused %g, fused only %g", maxd, maxc)
	if maxd > 1e-4 || maxc != 0 {
		t.Fatal("too different")
	}
}

func BenchmarkProtoAll(b *testing.B) {
	protoDV = false
	protoFused = true
	protoOpts = []G.VMOpt{G.WithEngine(fastEngine{})}
	defer func() { protoDV = true; protoOpts = nil; protoFused = false }()
	benchStep(b, true)
}

func TestPruneSame(t *testing.T) {
	a := newProto(t, false)
	protoDV, protoFused, protoPrune = false, true, true
	defer func() { protoDV, protoFused, protoPrune = true, false, false }()
	b := newProto(t, true)
	for s := 0; s < 50; s++ {
		protoDV, protoFused, protoPrune = true, false, false
		ca := a.step(t, s)
		protoDV, protoFused, protoPrune = false, true, true
		cb := b.step(t, s)
		if ca != cb {
			t.Fatalf("step %d cost %v vs %v", s, ca, cb)
		}
	}
	for i, p := range a.m.params {
		pa, pb := p.Data().([]float32), b.m.params[i].Data().([]float32)
		for j := range pa {
			if pa[j] != pb[j] {
				t.Fatalf("param %d[%d] %v vs %v", i, j, pa[j], pb[j])
			}
		}
	}
}

func BenchmarkProtoPruned(b *testing.B) {
	protoDV, protoFused, protoPrune = false, true, true
	protoOpts = []G.VMOpt{G.WithEngine(fastEngine{})}
	defer func() { protoDV, protoFused, protoPrune = true, false, false; protoOpts = nil }()
	benchStep(b, true)
}

package web

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
)

// Environment of the viewer process that BenchmarkFanout starts.
const (
	fanoutURLEnv     = "OHEMLAB_FANOUT_URL"
	fanoutViewersEnv = "OHEMLAB_FANOUT_VIEWERS"
)

// mnistBatchEvent is a batch event the size of the default MNIST
// experiment's (K=128, M=32).
func mnistBatchEvent(step int64) *trainer.BatchEvent {
	const k, m = 128, 32
	r := rand.New(rand.NewPCG(uint64(step), 1))
	e := &trainer.BatchEvent{Step: step, Version: 1, K: k, M: m, Strategy: "topk", Exec: "twopass",
		ExamplesSeen: k * step, ExamplesBackprop: m * step, WallSeconds: float64(step) / 300}
	for i := range k {
		e.IDs = append(e.IDs, int32(r.IntN(60000)))
		e.Labels = append(e.Labels, int32(r.IntN(10)))
		e.Preds = append(e.Preds, int32(r.IntN(10)))
		e.Losses = append(e.Losses, r.Float32()*3)
		e.TrueProb = append(e.TrueProb, r.Float32())
		e.Flipped = append(e.Flipped, false)
		if i < m {
			e.Selected = append(e.Selected, int32(i))
			e.Weights = append(e.Weights, 1.0/m)
		}
	}
	return e
}

// BenchmarkFanout measures the server's CPU time per viewer-frame: the
// CPU (user + system, getrusage) of this process, which runs the server
// and its hub, divided by the batch frames written to viewers; system time
// is mostly the kernel's loopback TCP send, one write per viewer and frame. The viewers
// (100 and 1000, reading every frame) run in a child process, so that
// their CPU is not counted. Each of b.N MNIST-sized batch events is sent
// to every viewer before the next is published (no coalescing), and the
// frames carry their summary rows as in a live run.
//
//	go test ./web -run '^$' -bench Fanout -benchtime 200x
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	e := newEnv(b, func(o *Options) {
		o.BatchInterval = time.Microsecond
		o.BatchBudget = 1 << 30
		o.MaxViewers = n + 10
		o.MaxViewersPerAddr = n + 10
	})
	cmd := exec.Command(os.Args[0], "-test.run=^TestFanoutViewers$", "-test.count=1")
	cmd.Env = append(os.Environ(), fanoutURLEnv+"="+e.wsURL(""), fanoutViewersEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	// The child prints "ready" once every viewer has its hello frame.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		b.Fatalf("viewer process: %q, %v", line, err)
	}
	if got := e.s.hub.count(); got != n {
		b.Fatalf("%d viewers connected, want %d", got, n)
	}
	wait := func(target int64) {
		deadline := time.Now().Add(time.Minute)
		for e.s.hub.sent.Load() < target {
			if time.Now().After(deadline) {
				b.Fatalf("frames written: %d, want %d", e.s.hub.sent.Load(), target)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	step := int64(1)
	publish := func() {
		target := e.s.hub.sent.Load() + int64(n)
		e.s.Publish(mnistBatchEvent(step))
		step++
		wait(target)
	}
	for range 20 { // warm up: buffers, prepared frames
		publish()
	}
	user0, sys0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		publish()
	}
	b.StopTimer()
	user1, sys1 := cpuTime()
	frames := float64(b.N * n)
	user, sys := float64((user1 - user0).Nanoseconds()), float64((sys1 - sys0).Nanoseconds())
	b.ReportMetric((user+sys)/frames, "cpu-ns/viewer-frame")
	b.ReportMetric(user/frames, "user-ns/viewer-frame")
	b.ReportMetric(sys/frames, "sys-ns/viewer-frame")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is this process's user and system CPU time.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// TestFanoutViewers is the viewer process of BenchmarkFanout; it does
// nothing unless started by it. It connects the viewers, prints "ready"
// and reads every frame until the server closes them.
func TestFanoutViewers(t *testing.T) {
	url := os.Getenv(fanoutURLEnv)
	n, _ := strconv.Atoi(os.Getenv(fanoutViewersEnv))
	if url == "" || n <= 0 {
		t.Skip("the viewer process of BenchmarkFanout")
	}
	var conns []*websocket.Conn
	for range n {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil { // hello
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			for {
				_, r, err := c.NextReader()
				if err != nil {
					return
				}
				io.Copy(io.Discard, r)
			}
		})
	}
	wg.Wait()
}

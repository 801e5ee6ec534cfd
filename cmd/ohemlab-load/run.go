package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// run is the whole program; main only adds signals and the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if errors.Is(err, errRowHeader) {
		fmt.Fprintln(stdout, rowHeader)
		return nil
	}
	if err != nil {
		return err
	}
	// A hard stop: the phases plus the time to dial at dial-rate, plus
	// slack.
	dialTime := time.Duration(cfg.viewers) * time.Second / time.Duration(cfg.dialRate)
	limit := cfg.baseline + cfg.duration + dialTime + 2*time.Minute
	if cfg.churn {
		limit += cfg.settle
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if cfg.churn {
		rep, err := soak(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		if err := printReport(stdout, cfg.json, rep, rep.write); err != nil {
			return err
		}
		if !rep.Pass {
			return fmt.Errorf("soak FAIL: %s", rep.Why)
		}
		return nil
	}
	rep, err := load(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	if cfg.row {
		rep.writeRow(stdout)
		return nil
	}
	return printReport(stdout, cfg.json, rep, rep.write)
}

// printReport writes rep as indented JSON when asJSON, else with text.
func printReport(w io.Writer, asJSON bool, rep any, text func(io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	text(w)
	return nil
}

// stateSample is what the tool reads from GET /api/state.
type stateSample struct {
	Step   int64  `json:"step"`
	Status string `json:"status"`
	at     time.Time
}

func getState(ctx context.Context, base string) (stateSample, error) {
	var s stateSample
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/state", nil)
	if err != nil {
		return s, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("GET /api/state: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET /api/state: %s", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&s); err != nil {
		return s, fmt.Errorf("GET /api/state: %w", err)
	}
	s.at = time.Now()
	return s, nil
}

// rate returns the steps per second between two samples.
func rate(a, b stateSample) float64 {
	dt := b.at.Sub(a.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(b.Step-a.Step) / dt
}

// viewerStats is what one reading viewer saw.
type viewerStats struct {
	frames    int
	batches   int
	coalesced int64 // batch steps skipped between two batch frames of an arm
	latencies []float64
	lastStep  map[int]int64
	err       error
}

// dialWorkers is the number of connections being opened at once.
const dialWorkers = 32

// maxSamplesPerViewer bounds the latency samples kept per viewer.
const maxSamplesPerViewer = 20000

// frameHead is the part of a frame the tool reads.
type frameHead struct {
	Type string  `json:"type"`
	T    float64 `json:"t"`
	Arm  int     `json:"arm"`
	Step int64   `json:"step"`
}

// read consumes frames until ctx ends or the connection fails. When ctx
// ends it hangs up (see hangUp).
func (v *viewerStats) read(ctx context.Context, c *websocket.Conn, graceful bool) {
	v.lastStep = map[int]int64{}
	stop := context.AfterFunc(ctx, func() { hangUp(c, graceful) })
	defer stop()
	for {
		_, b, err := c.ReadMessage()
		now := time.Now()
		if err != nil {
			if ctx.Err() == nil {
				v.err = err
			}
			return
		}
		h, err := parseHead(b)
		if err != nil {
			continue
		}
		v.frames++
		if h.T > 0 && len(v.latencies) < maxSamplesPerViewer {
			v.latencies = append(v.latencies, float64(now.UnixMicro())/1000-h.T)
		}
		if h.Type == "batch" {
			v.batches++
			if last, ok := v.lastStep[h.Arm]; ok && h.Step > last+1 {
				v.coalesced += h.Step - last - 1
			}
			v.lastStep[h.Arm] = h.Step
		}
		if h.Type == "config" {
			clear(v.lastStep) // a reset restarts the steps
		}
	}
}

// load runs the whole measurement.
func load(ctx context.Context, cfg config, log io.Writer) (*report, error) {
	base := strings.TrimRight(cfg.base.String(), "/")
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	cpu := newCPUWatch(cfg.serverPID)
	s0, err := getState(ctx, base)
	if err != nil {
		return nil, err
	}
	c0, err := cpu.sample()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "measuring steps/s for %v before connecting...\n", cfg.baseline)
	if err := sleep(ctx, cfg.baseline); err != nil {
		return nil, err
	}
	s1, err := getState(ctx, base)
	if err != nil {
		return nil, err
	}
	c1, err := cpu.sample()
	if err != nil {
		return nil, err
	}
	rep := &report{Viewers: cfg.viewers, StepsPerSBefore: rate(s0, s1), Status: s1.Status}
	rep.ServerCoresBefore = cores(c0.server, c1.server)

	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	stats := make([]*viewerStats, 0, cfg.viewers)
	var conns []*websocket.Conn
	var wg sync.WaitGroup
	var mu sync.Mutex // guards rep, stats and conns while dialling
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	tick := time.NewTicker(time.Second / time.Duration(cfg.dialRate))
	fmt.Fprintf(log, "connecting %d viewers...\n", cfg.viewers)
	connectStart := time.Now()
	jobs := make(chan int)
	var dialers sync.WaitGroup
	for range dialWorkers {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for i := range jobs {
				c, resp, err := dialer.DialContext(ctx, wsURL, nil)
				mu.Lock()
				if err != nil {
					rep.Refused++
					if resp != nil && rep.RefusalStatus == 0 {
						rep.RefusalStatus = resp.StatusCode
					}
					mu.Unlock()
					continue
				}
				conns = append(conns, c)
				// Spread the silent viewers evenly: viewer i is silent when
				// the running count of silent ones, floor((i+1)*silent),
				// steps up.
				if math.Floor(float64(i+1)*cfg.silent) > math.Floor(float64(i)*cfg.silent) {
					rep.Silent++
					mu.Unlock()
					continue
				}
				v := &viewerStats{}
				stats = append(stats, v)
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					v.read(readCtx, c, false)
				}()
			}
		}()
	}
	for i := 0; i < cfg.viewers && ctx.Err() == nil; i++ {
		select {
		case <-tick.C:
			jobs <- i
		case <-ctx.Done():
		}
	}
	close(jobs)
	dialers.Wait()
	if ctx.Err() != nil {
		tick.Stop()
		return nil, ctx.Err()
	}
	tick.Stop()
	rep.ConnectSeconds = time.Since(connectStart).Seconds()
	fmt.Fprintf(log, "holding %d viewers (%d silent) for %v...\n", len(conns), rep.Silent, cfg.duration)
	s2, err := getState(ctx, base)
	if err != nil {
		return nil, err
	}
	c2, err := cpu.sample()
	if err != nil {
		return nil, err
	}
	if err := sleep(ctx, cfg.duration); err != nil {
		return nil, err
	}
	s3, err := getState(ctx, base)
	if err != nil {
		return nil, err
	}
	c3, err := cpu.sample()
	if err != nil {
		return nil, err
	}
	rep.ServerCoresDuring = cores(c2.server, c3.server)
	rep.ToolCoresDuring = cores(c2.self, c3.self)
	stopReading()
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	rep.StepsPerSDuring = rate(s2, s3)
	if rep.StepsPerSBefore > 0 {
		rep.Ratio = rep.StepsPerSDuring / rep.StepsPerSBefore
	}
	rep.Connected = len(conns)
	rep.Seconds = cfg.duration.Seconds()
	rep.add(stats)
	return rep, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hangUp closes c, first sending a normal close frame when graceful (like
// a browser leaving the page) and otherwise just dropping the TCP
// connection (like a killed tab or a lost network).
func hangUp(c *websocket.Conn, graceful bool) {
	if graceful {
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	}
	c.Close()
}

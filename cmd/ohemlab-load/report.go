package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// report is the tool's result.
type report struct {
	Viewers        int     `json:"viewers"`
	Connected      int     `json:"connected"`
	Refused        int     `json:"refused"`
	RefusalStatus  int     `json:"refusal_status,omitempty"`
	Silent         int     `json:"silent"`
	Broken         int     `json:"broken"` // reading viewers whose connection failed
	ConnectSeconds float64 `json:"connect_seconds"`
	Seconds        float64 `json:"seconds"`
	Status         string  `json:"status"`
	// Frames are counted over the reading viewers.
	Frames          int64   `json:"frames"`
	FramesPerViewer float64 `json:"frames_per_viewer_per_s"`
	BatchFrames     int64   `json:"batch_frames"`
	// Coalesced counts batch steps a viewer never got a frame for
	// (coalescing "latest wins"; their rows still arrive).
	Coalesced       int64   `json:"coalesced_steps"`
	LatencySamples  int     `json:"latency_samples"`
	LatencyP50      float64 `json:"latency_ms_p50"`
	LatencyP99      float64 `json:"latency_ms_p99"`
	LatencyMax      float64 `json:"latency_ms_max"`
	StepsPerSBefore float64 `json:"steps_per_s_before"`
	StepsPerSDuring float64 `json:"steps_per_s_during"`
	Ratio           float64 `json:"steps_ratio"`
	// CPU cores used on average (from /proc; 0 when not measured): the
	// server (--server-pid) over the steps/s windows before and during the
	// load, and this tool during the load.
	ServerCoresBefore float64 `json:"server_cores_before,omitempty"`
	ServerCoresDuring float64 `json:"server_cores_during,omitempty"`
	ToolCoresDuring   float64 `json:"tool_cores_during,omitempty"`
}

// add folds the viewers' statistics into r.
func (r *report) add(stats []*viewerStats) {
	var lat []float64
	for _, v := range stats {
		r.Frames += int64(v.frames)
		r.BatchFrames += int64(v.batches)
		r.Coalesced += v.coalesced
		lat = append(lat, v.latencies...)
		if v.err != nil {
			r.Broken++
		}
	}
	if len(stats) > 0 && r.Seconds > 0 {
		r.FramesPerViewer = float64(r.Frames) / float64(len(stats)) / r.Seconds
	}
	slices.Sort(lat)
	r.LatencySamples = len(lat)
	r.LatencyP50 = quantile(lat, 0.5)
	r.LatencyP99 = quantile(lat, 0.99)
	if len(lat) > 0 {
		r.LatencyMax = lat[len(lat)-1]
	}
}

// quantile returns the p-quantile of sorted x (nearest rank), 0 for no
// data.
func quantile(x []float64, p float64) float64 {
	if len(x) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(x)))) - 1
	return x[max(0, min(i, len(x)-1))]
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "viewers            %d requested, %d connected (%d silent), %d refused", r.Viewers, r.Connected, r.Silent, r.Refused)
	if r.RefusalStatus != 0 {
		fmt.Fprintf(w, " (HTTP %d)", r.RefusalStatus)
	}
	fmt.Fprintf(w, ", %d broken\n", r.Broken)
	fmt.Fprintf(w, "frames             %d over %.0f s: %.1f per reading viewer per second (%d batch)\n", r.Frames, r.Seconds, r.FramesPerViewer, r.BatchFrames)
	fmt.Fprintf(w, "coalesced steps    %d\n", r.Coalesced)
	fmt.Fprintf(w, "frame latency      p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)\n", r.LatencyP50, r.LatencyP99, r.LatencyMax, r.LatencySamples)
	fmt.Fprintf(w, "trainer steps/s    %.1f before, %.1f during (%.3fx), status %s\n", r.StepsPerSBefore, r.StepsPerSDuring, r.Ratio, r.Status)
	fmt.Fprintf(w, "cpu cores          server %.2f before, %.2f during; this tool %.2f during (0 = not measured)\n", r.ServerCoresBefore, r.ServerCoresDuring, r.ToolCoresDuring)
}

// errRowHeader asks run to print rowHeader and stop.
var errRowHeader = errors.New("print the row header")

// rowHeader heads the table of --row lines.
const rowHeader = "viewers connected silent refused broken  p50_ms  p99_ms  max_ms  frames/viewer/s  coalesced  steps/s_before  steps/s_during  ratio  srv_cores_before  srv_cores_during  tool_cores"

// writeRow prints r as one line under rowHeader.
func (r *report) writeRow(w io.Writer) {
	fmt.Fprintf(w, "%7d %9d %6d %7d %6d %7.1f %7.1f %7.1f %16.1f %10d %15.1f %15.1f %6.3f %17.2f %17.2f %11.2f\n",
		r.Viewers, r.Connected, r.Silent, r.Refused, r.Broken, r.LatencyP50, r.LatencyP99, r.LatencyMax,
		r.FramesPerViewer, r.Coalesced, r.StepsPerSBefore, r.StepsPerSDuring, r.Ratio,
		r.ServerCoresBefore, r.ServerCoresDuring, r.ToolCoresDuring)
}

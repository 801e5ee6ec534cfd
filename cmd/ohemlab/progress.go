package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// progress shows a headless run's progress on stderr: a bar redrawn in
// place on a terminal, a plain line at every tenth of the run otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	total int64
	tenth int64 // plain mode: the tenth of the run the next line is due at
	next  int64 // plain mode: the step at which the next line is due
	drawn bool  // tty mode: a bar is on screen
}

// newProgress returns a progress display for a run of total steps.
func newProgress(w io.Writer, tty bool, total int64) *progress {
	return &progress{w: w, tty: tty, total: total, tenth: 1, next: milestone(total, 1)}
}

// milestone returns the step of the i-th tenth of total (at least 1).
func milestone(total int64, i int64) int64 {
	return max(1, (total*i+9)/10)
}

// update shows the state in tallies (the slowest arm counts).
func (p *progress) update(tallies []armTally) {
	if len(tallies) == 0 {
		return
	}
	step := tallies[0].steps
	for _, t := range tallies[1:] {
		step = min(step, t.steps)
	}
	info := progressInfo(tallies)
	if p.tty {
		const width = 30
		done := 0
		if p.total > 0 {
			done = int(min(width, width*step/p.total))
		}
		bar := strings.Repeat("=", done) + strings.Repeat(" ", width-done)
		fmt.Fprintf(p.w, "\r[%s] %d/%d %s\x1b[K", bar, step, p.total, info)
		p.drawn = true
		return
	}
	if step < p.next {
		return
	}
	fmt.Fprintf(p.w, "step %d/%d (%d%%) %s\n", step, p.total, 100*step/max(1, p.total), info)
	for p.next <= step {
		p.tenth++
		p.next = milestone(p.total, p.tenth)
		if p.tenth > 10 {
			p.next = math.MaxInt64
		}
	}
}

// finish ends the display: the bar's line is closed.
func (p *progress) finish() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// progressInfo is the per-arm part of a progress line: speed, loss and the
// last test accuracy.
func progressInfo(tallies []armTally) string {
	var parts []string
	for _, t := range tallies {
		s := ""
		if t.stepSeconds > 0 {
			s += fmt.Sprintf("%.0f steps/s ", float64(t.steps)/t.stepSeconds)
		}
		s += fmt.Sprintf("loss %.4f", t.lastBatchLoss)
		if n := len(t.evals); n > 0 {
			s += fmt.Sprintf(" test acc %.4f", t.evals[n-1].TestAccuracy)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

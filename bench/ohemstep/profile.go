package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiler starts the CPU profile at the first timed step and stops it at
// the end, and writes the heap profile after the run.
type profiler struct {
	cpuPath, memPath string
	cpu              *os.File
	err              error
}

// start begins CPU profiling if asked; an error is kept for finish.
func (p *profiler) start() {
	if p.cpuPath == "" || p.cpu != nil || p.err != nil {
		return
	}
	f, err := os.Create(p.cpuPath)
	if err != nil {
		p.err = err
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		p.err = fmt.Errorf("cpu profile: %w", err)
		return
	}
	p.cpu = f
}

// finish stops the CPU profile, writes the heap profile and returns the
// first error.
func (p *profiler) finish() error {
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil && p.err == nil {
			p.err = err
		}
		p.cpu = nil
	}
	if p.memPath != "" && p.err == nil {
		f, err := os.Create(p.memPath)
		if err != nil {
			return err
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("heap profile: %w", err)
		}
		return f.Close()
	}
	return p.err
}

package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// envCPUProfile names a file the daemon writes a CPU profile of its run
// to (pprof format), from start to a soft stop (SIGUSR1; a hard stop dies
// of its signal, as the reference does, and writes none). A developer's
// tool for looking at the daemon under a benchmark's load: Go's own
// profile names the functions perf sees only as addresses in inlined
// code.
const envCPUProfile = "FULCRUM_CPUPROFILE"

// startCPUProfile starts the profile envCPUProfile asks for, if any, and
// returns what ends it.
func startCPUProfile() (stop func()) {
	path := os.Getenv(envCPUProfile)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", envCPUProfile, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// envCPUProfile names a file the daemon writes a CPU profile of its run
// to, from start to stop. It is a developer's tool: the profile our builds
// are optimised with (default.pgo, made by scripts/pgo.sh) is one taken
// while the benchmarks' load runs through the daemon.
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

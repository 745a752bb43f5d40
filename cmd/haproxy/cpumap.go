package main

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"fulcrum/haproxy"
)

func init() { globalActedOn["cpu-map"] = true }

// cpuList reads "0-3", "5" (CPU ranges, several words) into the CPU
// numbers, in order.
func cpuList(words []string) []int {
	var out []int
	for _, w := range words {
		lo, hi, isRange := strings.Cut(w, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for c := a; c <= b && c < 1024; c++ {
			out = append(out, c)
		}
	}
	return out
}

// idSet reads a process or thread set: "all", "odd", "even", N or N-M,
// for ids 1..n.
func idSet(s string, n int) []int {
	var out []int
	for id := 1; id <= n; id++ {
		switch s {
		case "all":
		case "odd":
			if id%2 == 0 {
				continue
			}
		case "even":
			if id%2 == 1 {
				continue
			}
		default:
			lo, hi, isRange := strings.Cut(s, "-")
			a, _ := strconv.Atoi(lo)
			b := a
			if isRange {
				b, _ = strconv.Atoi(hi)
			}
			if id < a || id > b {
				continue
			}
		}
		out = append(out, id)
	}
	return out
}

// cpuMapAffinity is the CPU set the reference's threads end up on from
// the global cpu-map lines, as one set for the whole process (Go cannot
// pin its threads one by one): the union of every thread's CPUs. A line
// without a thread part binds the process (whatever the process number:
// 2.6 has one); "P/T" binds threads, "auto:" spreads the CPUs one per
// process or thread in order; a thread without a line of its own keeps
// the first thread's binding, from which it was created, else the
// process's. nil when nothing restricts the process.
func cpuMapAffinity(cfg *haproxy.Config, nbthread int) []int {
	if cfg.Global.Section == nil {
		return nil
	}
	var proc []int
	threads := map[int][]int{}
	for _, d := range cfg.Global.Section.Lines {
		if d.Keyword != "cpu-map" || len(d.Args) < 2 {
			continue
		}
		spec, auto := strings.CutPrefix(d.Args[0], "auto:")
		cpus := cpuList(d.Args[1:])
		if len(cpus) == 0 {
			continue
		}
		procPart, threadPart, hasThread := strings.Cut(spec, "/")
		if !hasThread {
			if auto {
				cpus = cpus[:1] // process 1 takes the first CPU
			}
			proc = cpus
			continue
		}
		if !slices.Contains(idSet(procPart, 64), 1) {
			continue // a thread of another process: 2.6 runs one
		}
		for i, t := range idSet(threadPart, nbthread) {
			if auto {
				if i < len(cpus) {
					threads[t] = cpus[i : i+1]
				}
				continue
			}
			threads[t] = cpus
		}
	}
	if proc == nil && len(threads) == 0 {
		return nil
	}
	fromFirst := proc
	if first, ok := threads[1]; ok {
		fromFirst = first
	}
	seen := map[int]bool{}
	var union []int
	for t := 1; t <= nbthread; t++ {
		set, ok := threads[t]
		if !ok {
			set = fromFirst
		}
		if set == nil {
			return nil // this thread may run anywhere
		}
		for _, c := range set {
			if !seen[c] {
				seen[c] = true
				union = append(union, c)
			}
		}
	}
	return union
}

// applyCPUMap binds the serving process to the CPUs of its cpu-map
// lines. The reference does so only in a process it forked (daemon mode
// or a master-worker's worker); in the foreground it leaves them be.
// Every thread that exists gets the set, and the threads the runtime
// starts later inherit it from them.
func applyCPUMap(cfg *haproxy.Config, nbthread int, r *reporter) {
	if inherited == nil && os.Getenv(envDaemonized) == "" { // neither a worker nor a daemon
		return
	}
	if nbthread <= 0 {
		nbthread = runtime.NumCPU()
	}
	cpus := cpuMapAffinity(cfg, nbthread)
	if cpus == nil {
		return
	}
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	// A thread made while the others are being bound may come from one
	// not bound yet: go over the list again until it holds no new one.
	done := map[int]bool{}
	failed := false
	for pass := 0; pass < 20; pass++ {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			failed = true
			break
		}
		fresh := 0
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || done[tid] {
				continue
			}
			done[tid] = true
			fresh++
			// A thread that ended meanwhile is no failure.
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				failed = true
			}
		}
		if fresh == 0 {
			break
		}
	}
	if failed {
		r.line("WARNING", "cpu-map: cannot bind the process to CPUs "+intsText(cpus)+".")
	}
}

func intsText(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

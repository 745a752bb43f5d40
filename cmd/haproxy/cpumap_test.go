package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"fulcrum/haproxy"
	"fulcrum/internal/reftest"
)

// workerCPUs is the union of the CPUs the threads of the master's first
// child may run on, as /proc lists them.
func workerCPUs(t *testing.T, master int) string {
	var kids string
	waitFor(t, "the worker", func() bool {
		// Go forks from whichever thread runs: each task lists its own.
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", master))
		for _, task := range tasks {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", master, task.Name()))
			kids += string(b)
		}
		kids = strings.TrimSpace(kids)
		return kids != ""
	})
	worker, _ := strconv.Atoi(strings.Fields(kids)[0])
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", worker))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", worker, task.Name()))
		if err != nil {
			continue // a thread that ended meanwhile
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
				seen[strings.TrimSpace(v)] = true
			}
		}
	}
	var sets []string
	for s := range seen {
		sets = append(sets, s)
	}
	sort.Strings(sets)
	return strings.Join(sets, " ")
}

// TestCPUMapMatchesReference: a master-worker's worker runs on the CPUs
// its cpu-map lines give, as the reference's threads together do
// (process lines, thread lines, "auto:"; a thread line for the second
// thread only leaves the process free).
func TestCPUMapMatchesReference(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs")
	}
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	dir := t.TempDir()
	for _, line := range []string{"cpu-map 1 0", "cpu-map 1 1", "cpu-map all 1", "cpu-map 1/1 1",
		"cpu-map 1/2 1", "cpu-map auto:1/1-2 0-1", "cpu-map 2 0"} {
		t.Run(line, func(t *testing.T) {
			got := map[string]string{}
			for side, bin := range map[string]string{"ref": ref, "ours": ours} {
				port := freePort(t)
				path := filepath.Join(dir, side+".cfg")
				cfg := fmt.Sprintf("global\n\tnbthread 2\n\t%s\ndefaults\n\tmode tcp\n\ttimeout client 1s\n\ttimeout server 1s\n"+
					"\ttimeout connect 1s\nlisten a\n\tbind 127.0.0.1:%s\n\tserver s 127.0.0.1:1\n", line, port)
				if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
					t.Fatal(err)
				}
				p := startBin(t, bin, nil, "-W", "-db", "-f", path)
				waitFor(t, "the listener", func() bool {
					c, err := net.Dial("tcp", "127.0.0.1:"+port)
					if err == nil {
						c.Close()
					}
					return err == nil
				})
				// The master binds the listener: the worker has set its
				// CPUs once it says it serves.
				waitFor(t, "the worker", func() bool { return strings.Contains(p.out.String(), "Loading success.") })
				got[side] = workerCPUs(t, p.cmd.Process.Pid)
				p.signal(t, 15)
				p.waitExit(t)
			}
			// The reference's threads may have different sets: compare
			// their union, what one Go process can have.
			if union(got["ref"]) != union(got["ours"]) {
				t.Errorf("worker CPUs: ref %q, ours %q", got["ref"], got["ours"])
			}
		})
	}
}

// union merges /proc CPU lists ("0-1 1") into one sorted list.
func union(lists string) string {
	seen := map[int]bool{}
	for _, l := range strings.Fields(lists) {
		for _, c := range cpuList(strings.Split(l, ",")) {
			seen[c] = true
		}
	}
	var out []int
	for c := range seen {
		out = append(out, c)
	}
	sort.Ints(out)
	return intsText(out)
}

// FuzzCPUMapAffinity: any cpu-map words give a CPU list or nil, never a
// panic nor a CPU beyond the set the kernel call takes.
func FuzzCPUMapAffinity(f *testing.F) {
	for _, s := range []string{"1 0", "auto:1/1-4 0-3", "all 1", "1/odd 0-63", "even/2 5", "1-2 99999999999", "auto:1-64 -3"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, words string, nbthread int) {
		if nbthread < 0 || nbthread > 256 {
			return
		}
		args := strings.Fields(words)
		cfg := &haproxy.Config{Global: haproxy.Global{Section: &haproxy.Section{Kind: "global",
			Lines: []haproxy.Directive{{Keyword: "cpu-map", Args: args}}}}}
		for _, c := range cpuMapAffinity(cfg, nbthread) {
			if c < 0 || c >= 1024 {
				t.Fatalf("CPU %d from %q", c, words)
			}
		}
	})
}

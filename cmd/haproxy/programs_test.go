package main

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// programSections are the test's programs: one started again at every
// reload, one not, and one that ends at once (exit 0: reported, but no
// reason to stop everything).
const programSections = `
program keep
    command sleep 1001

program once
    command sleep 1002
    no option start-on-reload

program quick
    command sh -c "exit 0"
    no option start-on-reload
`

// programLines keeps the master's lines about its programs, PIDs masked
// and sorted: processes that exit together report in any order.
func programLines(out string) string {
	keep := regexp.MustCompile(`(?m)^\[\w+\] +\(\d+\) : (New program|Current program|Former program|exit-on-failure|All workers exited|Cannot execute).*$`)
	pid := regexp.MustCompile(`\(\d+\)`)
	lines := keep.FindAllString(out, -1)
	for i, l := range lines {
		lines[i] = pid.ReplaceAllString(l, "(N)")
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// programRows is the programs part of `show proc`: name and reloads of
// each, in order.
func programRows(raw string) string {
	_, progs, _ := strings.Cut(raw, "# programs\n")
	var rows []string
	for _, l := range strings.Split(progs, "\n") {
		if f := strings.Fields(l); len(f) >= 5 {
			rows = append(rows, f[1]+" "+f[2]+" "+f[4])
		}
	}
	return strings.Join(rows, ", ")
}

// TestMasterWorkerPrograms: the master starts the program sections before
// its worker, lists them in `show proc`, starts again at a reload those
// that ask for it (the old instances, and the one that is not started
// again, are told to stop with SIGUSR1, as the reference does), and
// stops them with everything else; its messages and exit code are the
// reference's.
func TestMasterWorkerPrograms(t *testing.T) {
	config := strings.Replace(debianConfig, "    daemon\n", "", 1) + programSections
	results := map[string]string{}
	binaries(t, func(t *testing.T, bin string) {
		m := startMW(t, bin, config)
		var first, second string
		waitFor(t, "the programs", func() bool {
			first = programRows(m.showProc(t).raw)
			return first == "keep 0 -, once 0 -"
		})
		waitFor(t, "the quick program's end", func() bool {
			return strings.Contains(m.p.out.String(), "Current program 'quick'")
		})
		m.p.reload(t)
		waitFor(t, "the reloaded programs", func() bool {
			second = programRows(m.showProc(t).raw)
			return strings.Count(m.p.out.String(), "Former program") == 2
		})
		m.p.signal(t, syscall.SIGTERM)
		code := m.p.waitExit(t)
		results[bin] = fmt.Sprintf("started: %s\nreloaded: %s\nexit %d\n%s", first, second, code, programLines(m.p.out.String()))
	})
	agree(t, results)
}

// TestMasterWorkerProgramCannotExecute: a program whose command cannot be
// run reports it under its own PID and exits 1, which stops everything.
func TestMasterWorkerProgramCannotExecute(t *testing.T) {
	config := strings.Replace(debianConfig, "    daemon\n", "", 1) + "\nprogram broken\n    command /nonexistent/fulcrum-test arg\n"
	results := map[string]string{}
	binaries(t, func(t *testing.T, bin string) {
		m := launchMW(t, bin, config)
		code := m.p.waitExit(t)
		results[bin] = fmt.Sprintf("exit %d\n%s", code, programLines(m.p.out.String()))
		if !strings.Contains(results[bin], "Cannot execute /nonexistent/fulcrum-test: No such file or directory") {
			t.Errorf("no report of the failed execution:\n%s", m.p.out.String())
		}
	})
	agree(t, results)
}

// TestMasterWorkerMaxReloads: with mworker-max-reloads 1, an old worker
// still serving a connection is ended with SIGTERM at the reload after
// the one that made it old, as the reference's.
func TestMasterWorkerMaxReloads(t *testing.T) {
	config := strings.Replace(strings.Replace(debianConfig, "    daemon\n", "", 1), "    nbthread 1\n", "    nbthread 1\n    mworker-max-reloads 1\n", 1)
	results := map[string]string{}
	binaries(t, func(t *testing.T, bin string) {
		m := startMW(t, bin, config)
		// hold keeps one proxied connection in the current worker.
		hold := func() net.Conn {
			c, err := net.Dial("tcp", m.front)
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			buf := make([]byte, 2)
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		}
		first := m.showProc(t).workers[0]
		hold()
		m.p.reload(t)
		// The next connection must reach the second worker: wait until
		// it serves and the first one stopped listening.
		waitFor(t, "the second worker", func() bool { return strings.Count(m.p.out.String(), "Loading success.") >= 2 })
		var second int
		waitFor(t, "the second worker's PID", func() bool { p := m.showProc(t); second = p.workers[0]; return second != first && len(p.old) == 1 })
		hold()
		m.p.reload(t)
		waitFor(t, "the first worker's end", func() bool {
			return strings.Contains(m.p.out.String(), fmt.Sprintf("Former worker (%d) exited", first))
		})
		var old []int
		waitFor(t, "the third worker", func() bool { p := m.showProc(t); old = p.old; return p.workers[0] != second })
		line := regexp.MustCompile(fmt.Sprintf(`Former worker \(%d\) exited with code \d+ \(\w+\)`, first)).FindString(m.p.out.String())
		results[bin] = fmt.Sprintf("%s; old workers left: %d (the second: %v)", strings.Replace(line, fmt.Sprint(first), "FIRST", 1), len(old), len(old) == 1 && old[0] == second)
		m.p.signal(t, syscall.SIGTERM)
		m.p.waitExit(t)
	})
	agree(t, results)
}

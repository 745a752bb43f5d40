package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// listenDiff is a differential test made of cases, one listen section
// each (named prefix+index), run by ours and by the reference with the
// same configuration; each case's answers and log lines are compared.
type listenDiff struct {
	cases  []actCase
	prefix string
	// config is the configuration text with the cases' sections on
	// ports, in dir, with servers s1 and s2.
	config func(dir string, ports []int, s1, s2 string) string
	// run sends a case's requests to addr and returns what came back.
	run func(t *testing.T, addr string, c actCase) []string
	// maskAnswer hides what differs by nature in one answer (nil: none).
	maskAnswer func(string) string
	// logRE selects the reference's log lines; maskLog masks one line.
	logRE   *regexp.Regexp
	maskLog func(t *testing.T, line string) string
}

// runListenDiff starts the reference and our engine on d's configuration
// (in dir, which holds any files it names) and compares case by case.
func runListenDiff(t *testing.T, dir string, d listenDiff) {
	bin := reftest.HAProxy(t)
	seen := map[int]bool{}
	freePorts := func() []int {
		ports := make([]int, len(d.cases))
		for i := range ports {
			for ports[i] == 0 || seen[ports[i]] {
				ports[i] = difftest.FreePort(t)
			}
			seen[ports[i]] = true
		}
		return ports
	}
	refPorts := freePorts()
	ref := difftest.StartReferenceConfig(t, bin, d.config(dir, refPorts, actBackend(t, "s1"), actBackend(t, "s2")))

	ourPorts := freePorts()
	path := filepath.Join(dir, "ours.cfg")
	if err := os.WriteFile(path, []byte(d.config(dir, ourPorts, actBackend(t, "s1"), actBackend(t, "s2"))), 0o644); err != nil {
		t.Fatal(err)
	}
	hc, diags := haproxy.Load(path)
	if confparse.HasAlert(diags) {
		t.Fatalf("model: %v", diags)
	}
	cfg, diags := FromConfig(hc)
	for _, d := range diags {
		if d.Severity == confparse.Alert || d.Severity == confparse.Warning {
			t.Errorf("adapter: %s", d.Message)
		}
	}
	ours := &httpLogLines{}
	e := startEngineOpts(t, cfg, Options{AccessLog: ours.add})
	mask := d.maskAnswer
	if mask == nil {
		mask = func(s string) string { return s }
	}
	for i, c := range d.cases {
		t.Run(c.desc, func(t *testing.T) {
			ref := d.run(t, fmt.Sprintf("127.0.0.1:%d", refPorts[i]), c)
			ours := d.run(t, fmt.Sprintf("127.0.0.1:%d", ourPorts[i]), c)
			// The next case's log lines count active connections.
			waitFor(t, "the case's connection to close", func() bool { return e.active.Load() == 0 })
			for j := range max(len(ref), len(ours)) {
				var r, o string
				if j < len(ref) {
					r = ref[j]
				}
				if j < len(ours) {
					o = ours[j]
				}
				if r, o = mask(r), mask(o); r != o {
					t.Errorf("answer %d:\nref  %q\nours %q", j, r, o)
				}
			}
		})
	}

	// The log lines, once all are out.
	var refLog, ourLog []string
	for range 200 {
		ourLog = ours.get()
		n := len(ourLog)
		refLog = refLog[:0]
		for _, l := range strings.Split(ref.Output(), "\n") {
			if d.logRE.MatchString(l) {
				refLog = append(refLog, l)
			}
		}
		if len(refLog) >= n && n > 0 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	// Each case's lines come in order; cases may interleave (a line is
	// written after its answer), so they are compared per section.
	bySection := func(lines []string) map[string][]string {
		m := map[string][]string{}
		for _, l := range lines {
			masked := d.maskLog(t, l)
			fe := strings.Fields(masked)[2]
			m[fe] = append(m[fe], masked)
		}
		return m
	}
	refBy, ourBy := bySection(refLog), bySection(ourLog)
	for i, c := range d.cases {
		fe := fmt.Sprintf("%s%d", d.prefix, i)
		if r, o := strings.Join(refBy[fe], "\n"), strings.Join(ourBy[fe], "\n"); r != o {
			t.Errorf("log lines of %q:\nref\n%s\nours\n%s", c.desc, r, o)
		}
	}
}

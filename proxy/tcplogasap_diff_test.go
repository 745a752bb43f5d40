package proxy

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// asapTimer masks a timer's digits but keeps its '+' and its "-1".
var asapTimer = regexp.MustCompile(`\d+`)

// maskASAPLine masks what differs by nature in a line of the logasap
// test: a tcplog line (client port, date, timer values) or a line of
// tcpLogTerms, field by field as compareLines does, keeping '+'.
func maskASAPLine(line string) string {
	if !strings.HasPrefix(line, "L"+fieldSep) {
		f := strings.Fields(line)
		if len(f) < 5 {
			return line
		}
		f[0] = regexp.MustCompile(`:\d+$`).ReplaceAllString(f[0], ":PORT")
		f[1] = "[DATE]"
		f[4] = asapTimer.ReplaceAllString(f[4], "T")
		return strings.Join(f, " ")
	}
	fields := strings.Split(line, fieldSep)
	for i, term := range tcpLogTerms {
		if i >= len(fields) {
			break
		}
		switch regexp.MustCompile(`[A-Za-z_]+$`).FindString(term) {
		case "Th", "Ti", "TR", "Tw", "Tc", "Tt", "Tu", "Td":
			fields[i] = asapTimer.ReplaceAllString(fields[i], "T")
		default:
			fields[i] = maskField(term, fields[i])
		}
	}
	return strings.Join(fields, fieldSep)
}

// TestTCPLogASAPMatchesReference: with option logasap in tcp mode, a
// connection is logged as soon as its server connection is up ('+' on
// %Tt and %B, nothing counted yet, "--", the backend and server counts
// including it), with option tcplog and with a log-format of every tcp
// variable, even under dontlognull; dontlog-normal leaves that line out;
// a connection no server accepted is logged when it ends, with the '+'.
// Every connection stays open until the end, so the counts of the lines
// do not depend on when the proxy sees a close.
func TestTCPLogASAPMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	dead := deadAddr(t)
	format := "log-format \"" + strings.Join(tcpLogTerms, fieldSep) + "\""
	fronts := []struct{ name, lines string }{
		{"tcplog", "option tcplog"}, {"format", format}, {"null", format + "\n\toption dontlognull"},
		{"norm", format + "\n\toption dontlog-normal"}, {"dead", format}}
	cfg := func(ports []int) string {
		var b strings.Builder
		b.WriteString("defaults\n\tmode tcp\n\tlog stdout format raw local0\n\toption logasap\n\ttimeout connect 100ms\n" +
			"\ttimeout client 5s\n\ttimeout server 5s\n\tretries 1\n")
		for i, f := range fronts {
			srv := be.Addr("s1")
			if f.name == "dead" {
				srv = dead
			}
			fmt.Fprintf(&b, "listen %s\n\tbind 127.0.0.1:%d\n\t%s\n\tserver s1 %s\n", f.name, ports[i], f.lines, srv)
		}
		return b.String()
	}
	isLine := func(l string) bool { return strings.HasPrefix(l, "L"+fieldSep) || strings.HasPrefix(l, "127.0.0.1:") }
	// run plays the connections on addrs (by frontend), waiting after
	// each logged one for its line; lines returns the lines so far.
	run := func(addrs []string, lines func() []string) []string {
		var open []net.Conn
		defer func() {
			for _, c := range open {
				c.Close()
			}
		}()
		want := 0
		for i, f := range fronts {
			if f.name == "dead" {
				c, err := net.Dial("tcp", addrs[i])
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.Copy(io.Discard, c)
				open = append(open, c)
			} else {
				_, c, err := difftest.Dial(addrs[i], "")
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, c)
			}
			if f.name != "norm" {
				want++
			}
			waitFor(t, fmt.Sprintf("%d log lines", want), func() bool { return len(lines()) >= want })
		}
		return lines()
	}

	freePorts := func() []int {
		var ports []int
		for range fronts {
			ports = append(ports, difftest.FreePort(t))
		}
		return ports
	}
	ports := freePorts()
	ref := difftest.StartReferenceConfig(t, bin, cfg(ports))
	refLog := func() []string {
		var out []string
		for _, l := range strings.Split(ref.Output(), "\n") {
			if isLine(l) {
				out = append(out, l)
			}
		}
		return out
	}
	var refAddrs []string
	for _, p := range ports {
		refAddrs = append(refAddrs, fmt.Sprintf("127.0.0.1:%d", p))
	}
	want := run(refAddrs, refLog)

	e, ours := startOurs(t, cfg(freePorts()), plainLine)
	var ourAddrs []string
	for _, f := range fronts {
		ourAddrs = append(ourAddrs, feAddr(e, f.name))
	}
	got := run(ourAddrs, ours)
	e.Stop(2 * time.Second) // a final line written by mistake is out by now
	got = ours()
	if len(got) != len(want) {
		t.Fatalf("log lines:\nref  %q\nours %q", want, got)
	}
	for i := range want {
		if r, o := maskASAPLine(want[i]), maskASAPLine(got[i]); r != o {
			t.Errorf("line %d:\nref  %q\nours %q", i, r, o)
		}
	}
}

package proxy

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// fieldSep separates the terms of the differential formats; no value
// contains it.
const fieldSep = "^"

// maskField hides what differs by nature in one field of a log line, by
// the variable its term names: ports, dates, pids, request counters and
// unique IDs (built of those), and timer values (only -1 versus a
// measured value is kept).
func maskField(term, value string) string {
	name := regexp.MustCompile(`[A-Za-z_]+\]?$`).FindString(term)
	switch name {
	case "dst_port]", "src_port]":
		return "PORT"
	case "cp", "fp", "bp", "sp":
		return "PORT"
	case "t", "tr", "trg", "trl", "T", "Tl", "Ts", "ms", "pid", "rt":
		return "X"
	case "Th", "Ti", "TR", "Tq", "Tw", "Tc", "Tr", "Ta", "Tt", "Tu", "Td":
		if value == "-1" {
			return value
		}
		return "T"
	case "ID":
		if value == "-" || value == `""` {
			return value
		}
		return "ID"
	}
	return value
}

// compareLines compares the reference's and our lines of a format made
// of terms joined by fieldSep, field by field.
func compareLines(t *testing.T, terms []string, ref, ours []string) {
	t.Helper()
	if len(ref) != len(ours) {
		t.Fatalf("log lines:\nref  %q\nours %q", ref, ours)
	}
	for i := range ref {
		rf, of := strings.Split(ref[i], fieldSep), strings.Split(ours[i], fieldSep)
		if len(rf) != len(terms) || len(of) != len(terms) {
			t.Errorf("line %d: fields\nref  %q\nours %q", i, ref[i], ours[i])
			continue
		}
		for j, term := range terms {
			if r, o := maskField(term, rf[j]), maskField(term, of[j]); r != o {
				t.Errorf("line %d, %s: ref %q, ours %q", i, term, rf[j], of[j])
			}
		}
	}
}

// refLines waits for n lines starting with prefix in the reference's
// output.
func refLines(ref *difftest.Reference, prefix string, n int) []string {
	var out []string
	for range 200 {
		out = out[:0]
		for _, l := range strings.Split(ref.Output(), "\n") {
			if strings.HasPrefix(l, prefix) {
				out = append(out, l)
			}
		}
		if len(out) >= n {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	return out
}

// startOurs runs our engine on cfgText and collects
// the access lines of frontend fe.
func startOurs(t *testing.T, cfgText string) (addr string, lines func() []string) {
	t.Helper()
	cfg, diags := adapt(t, cfgText)
	for _, d := range diags {
		t.Logf("adapter: %s", d.Message)
	}
	var mu sync.Mutex
	var got []string
	e, err := New(cfg, Options{AccessLog: func(r *Record) {
		if _, skip := r.Level(); skip {
			return
		}
		mu.Lock()
		got = append(got, string(r.AppendLine(nil)))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(2 * time.Second) })
	return feAddr(e, "fe"), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// httpLogTerms covers every variable our engine supplies in http mode,
// with the modifiers that change their rendering.
var httpLogTerms = []string{"L", "%ci", "%cp", "%fi", "%fp", "%bi", "%bp", "%si", "%sp", "%t", "%tr", "%trg", "%trl", "%T", "%Tl",
	"%Ts", "%ms", "%ft", "%f", "%b", "%s", "%Th", "%Ti", "%TR", "%Tq", "%Tw", "%Tc", "%Tr", "%Ta", "%Tt", "%Tu", "%Td",
	"%B", "%U", "%ST", "%CC", "%CS", "%tsc", "%ts", "%ac", "%fc", "%bc", "%sc", "%rc", "%sq", "%bq",
	"%hr", "%hrl", "%hs", "%hsl", "%r", "%HM", "%HP", "%HPO", "%HQ", "%HU", "%HV", "%ID", "%pid", "%H", "%rt", "%lc",
	"%sslc", "%sslv", "%{+Q}ID", "%{+X}Ts", "%{+Q,+X}ci", "%{+X}cp", "%{+E}r", "%{+Q}hr", "%{+Q}hrl", "%{+Q}hsl",
	"%{+Q}HM", "%{+Q}HQ", "%{+Q}Tt", "%{+Q}B", "%{+Q}s", "%{+X}B", "%{+X}pid", "%{+X}rt", "%{+Q}ci", "%{+Q}bi", "%{+Q}ft",
	"%[src]", "%{+Q}[dst]", "%[be_name]", "%{+Q}[srv_name]", "%{+Q}CC", "%{+Q}sslv"}

// TestLogFormatHTTPMatchesReference: the same requests (kept-alive ones,
// HTTP/1.0, a malformed one) through the reference
// and through our engine with the same configuration (captures, unique
// ID, a log-format of every variable) give the same log lines, field by
// field, and the servers receive the same unique-ID header.
func TestLogFormatHTTPMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, tc := range []struct{ desc, format string }{
		{"every variable", strings.Join(httpLogTerms, fieldSep)},
		{"global quote option", "L^%{+Q}o^%ci^%b^%{-Q}s^%hrl^%{+X}ci^%r^%ID"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			refBE, ourBE := startHTTPBackend(t, "s1"), startHTTPBackend(t, "s1")
			cfg := func(port int, be fmt.Stringer) string {
				return fmt.Sprintf(`defaults
	mode http
	log stdout format raw local0
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%d
	capture request header Host len 20
	capture request header User-Agent len 3
	capture response header X-Server len 10
	capture response header Nope len 4
	unique-id-format %%{+X}o\ %%ci:%%cp_%%fi:%%fp_%%Ts_%%rt:%%pid
	unique-id-header X-Unique-ID
	log-format "%s"
	default_backend be
backend be
	server s1 %s
`, port, tc.format, be)
			}
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port, refBE.addr()))
			refAnswers := runHTTPSession(t, fmt.Sprintf("127.0.0.1:%d", port))
			addr, ours := startOurs(t, cfg(difftest.FreePort(t), ourBE.addr()))
			ourAnswers := runHTTPSession(t, addr)
			if strings.Join(refAnswers, "\n") != strings.Join(ourAnswers, "\n") {
				t.Errorf("answers:\nref  %q\nours %q", refAnswers, ourAnswers)
			}
			idRE := regexp.MustCompile(`(?m)^x-unique-id: [0-9A-F]{8}:[0-9A-F]{4}_[0-9A-F]{8}:[0-9A-F]{4}_[0-9A-F]{8}_[0-9A-F]{4}:[0-9A-F]{4}\r$`)
			rh, _ := refBE.received()
			oh, _ := ourBE.received()
			if len(rh) != len(oh) || len(rh) == 0 {
				t.Fatalf("server received %d heads from the reference, %d from ours", len(rh), len(oh))
			}
			for i := range rh {
				r, o := idRE.ReplaceAllString(rh[i], "x-unique-id: ID\r"), idRE.ReplaceAllString(oh[i], "x-unique-id: ID\r")
				if r != o || !strings.Contains(o, "x-unique-id: ID") {
					t.Errorf("head %d:\nref  %q\nours %q", i, rh[i], oh[i])
				}
			}
			want := refLines(ref, "L^", 6)
			var got []string
			waitFor(t, "our log lines", func() bool { got = ours(); return len(got) >= len(want) })
			compareLines(t, strings.Split(tc.format, fieldSep), want, got)
		})
	}
}

// tcpLogTerms covers every variable our engine supplies in tcp mode.
var tcpLogTerms = []string{"L", "%ci", "%cp", "%fi", "%fp", "%bi", "%bp", "%si", "%sp", "%t", "%T", "%Tl", "%Ts", "%ms",
	"%ft", "%f", "%b", "%s", "%Th", "%Tw", "%Tc", "%Tt", "%Tu", "%Td", "%B", "%U", "%ST", "%tsc", "%ts",
	"%ac", "%fc", "%bc", "%sc", "%rc", "%sq", "%bq", "%hr", "%hrl", "%ID", "%{+Q}ID", "%pid", "%H", "%lc",
	"%sslc", "%{+X}ci", "%{+Q}ci", "%{+Q}b", "%{+X}Ts", "%[src]", "%{+Q}[dst_port]", "%[be_name]"}

// TestLogFormatTCPMatchesReference: a normal connection and one refused
// by a dead server, through the reference and through our engine, give
// the same lines with a log-format of every tcp-mode variable.
func TestLogFormatTCPMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	format := strings.Join(tcpLogTerms, fieldSep)
	for _, tc := range []struct{ desc, backend string }{{"normal close", "be"}, {"refused server", "dead"}} {
		t.Run(tc.desc, func(t *testing.T) {
			be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
			dead := deadAddr(t)
			cfg := func(port int) string {
				return fmt.Sprintf("defaults\n\tmode tcp\n\tlog stdout format raw local0\n\ttimeout connect 100ms\n\ttimeout client 5s\n\ttimeout server 2s\n\tretries 1\n"+
					"frontend fe\n\tbind 127.0.0.1:%d\n\tlog-format \"%s\"\n\tdefault_backend %s\n"+
					"backend be\n\tserver s1 %s\nbackend dead\n\tserver s9 %s\n", port, format, tc.backend, be.Addr("s1"), dead)
			}
			run := func(addr string) {
				if tc.backend == "dead" {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, c)
					c.Close()
					return
				}
				_, c, err := difftest.Dial(addr, "")
				if err != nil {
					t.Fatal(err)
				}
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c)
				c.Close()
			}
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port))
			run(fmt.Sprintf("127.0.0.1:%d", port))
			addr, ours := startOurs(t, cfg(difftest.FreePort(t)))
			run(addr)
			want := refLines(ref, "L^", 1)
			var got []string
			waitFor(t, "our log line", func() bool { got = ours(); return len(got) >= len(want) })
			compareLines(t, tcpLogTerms, want, got)
		})
	}
}

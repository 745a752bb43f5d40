package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
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
	// Lines of separate connections may come out in either order: pair
	// them by request line where the format has one.
	if k := slices.Index(terms, "%r"); k >= 0 {
		field := func(line string) string {
			if f := strings.Split(line, fieldSep); k < len(f) {
				return f[k]
			}
			return ""
		}
		byRequest := func(a, b string) int { return strings.Compare(field(a), field(b)) }
		ref, ours = slices.Clone(ref), slices.Clone(ours)
		slices.SortStableFunc(ref, byRequest)
		slices.SortStableFunc(ours, byRequest)
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

// diffDefaults is the defaults section of the differential tests: mode,
// short timeouts, and extra lines (a log target, more timeouts).
func diffDefaults(mode string, extra ...string) string {
	s := "defaults\n\tmode " + mode + "\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n"
	for _, l := range extra {
		s += "\t" + l + "\n"
	}
	return s
}

// logDefaults is diffDefaults with the log lines on stdout, raw.
func logDefaults(mode string, extra ...string) string {
	return diffDefaults(mode, append([]string{"log stdout format raw local0"}, extra...)...)
}

// startOurs runs our engine on cfgText; line renders a record's access
// line (false: none), and lines returns those collected so far. The
// engine's messages go to engineLog when given.
func startOurs(t testing.TB, cfgText string, line func(r *Record) (string, bool), engineLog ...func(l Level, proxy, msg string)) (e *Engine, lines func() []string) {
	t.Helper()
	cfg, diags := adapt(t, cfgText)
	for _, d := range diags {
		t.Logf("adapter: %s", d.Message)
	}
	var mu sync.Mutex
	var got []string
	opts := Options{AccessLog: func(r *Record) {
		if l, ok := line(r); ok {
			mu.Lock()
			got = append(got, l)
			mu.Unlock()
		}
	}}
	for _, f := range engineLog {
		opts.Log = f
	}
	e, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(2 * time.Second) })
	return e, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// plainLine is the access line of a record that is logged.
func plainLine(r *Record) (string, bool) {
	if _, skip := r.Level(); skip {
		return "", false
	}
	return string(r.AppendLine(nil)), true
}

// runLogSession sends the requests of runHTTPSession: the kept-alive
// ones, then (once their n lines are logged, so that connection counts
// and line order do not race) the malformed one on its own connection.
func runLogSession(t *testing.T, addr string, logged func(n int)) []string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	var out []string
	reqs := []string{
		"GET /a?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: T/1\r\nConnection: keep-alive\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
		"POST /echo HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
		"GET /b HTTP/1.0\r\nHost: example.com\r\n\r\n",
	}
	for _, raw := range reqs {
		resp, body := httpRoundTrip(t, c, rd, raw)
		out = append(out, fmt.Sprintf("%d %q close=%v", resp.StatusCode, body, resp.Close))
	}
	c.Close()
	logged(len(reqs))
	return append(out, sendMalformed(t, addr))
}

// sendMalformed sends a request with a header line without a colon on
// its own connection and returns all the proxy answers.
func sendMalformed(t *testing.T, addr string) string {
	bad, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	bad.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(bad, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
	got, _ := io.ReadAll(bad)
	return string(got)
}

// httpLogTerms covers every variable our engine supplies in http mode,
// with the modifiers that change their rendering.
var httpLogTerms = []string{"L", "%ci", "%cp", "%fi", "%fp", "%bi", "%bp", "%si", "%sp", "%t", "%tr", "%trg", "%trl", "%T", "%Tl",
	"%Ts", "%ms", "%ft", "%f", "%b", "%s", "%Th", "%Ti", "%TR", "%Tq", "%Tw", "%Tc", "%Tr", "%Ta", "%Tt", "%Tu", "%Td",
	"%B", "%U", "%ST", "%CC", "%CS", "%tsc", "%ts", "%ac", "%fc", "%bc", "%sc", "%rc", "%sq", "%bq",
	"%hr", "%hrl", "%hs", "%hsl", "%r", "%HM", "%HP", "%HPO", "%HQ", "%HU", "%HV", "%ID", "%pid", "%H", "%rt", "%lc",
	"%sslc", "%sslv", "%{+Q}ID", "%{+X}Ts", "%{+Q,+X}ci", "%{+X}cp", "%{+E}r", "%{+Q}hr", "%{+Q}hrl", "%{+Q}hsl",
	"%{+Q}HM", "%{+Q}HQ", "%{+Q}Tt", "%{+Q}B", "%{+Q}s", "%{+X}B", "%{+X}pid", "%{+X}rt", "%{+Q}ci", "%{+Q}bi", "%{+Q}ft",
	"%[src]", "%{+Q}[dst]", "%[be_name]", "%{+Q}[srv_name]", "%{+Q}CC", "%{+Q}sslv",
	"%[src,ipmask(24)]", "%{+Q}[method]", "%[status]", "%[fe_name,upper]", "%[var(txn.nope)]", "%{+Q}[var(txn.nope)]"}

// TestLogFormatHTTPMatchesReference: the same requests (kept-alive ones,
// a body, HTTP/1.0, a malformed one) through the reference
// and through our engine with the same configuration (captures, unique
// ID, capture rules, a log-format of every variable) give the same log
// lines, field by
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
	declare capture request len 5
	declare capture response len 3
	http-request capture req.hdr(User-Agent) len 2
	http-request capture path id 2
	http-response capture res.hdr(X-Server) id 2
	http-request set-header X-LF "%%ci %%{+Q}f %%{+Q}HM %%{+Q}[req.hdr(host)] %%[src,ipmask(16)]"
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
			refAnswers := runLogSession(t, fmt.Sprintf("127.0.0.1:%d", port), func(n int) {
				refLines(ref, "L^", n)
				waitRefFrontendIdle(t, ref, "fe")
			})
			e, ours := startOurs(t, cfg(difftest.FreePort(t), ourBE.addr()), plainLine)
			addr := feAddr(e, "fe")
			ourAnswers := runLogSession(t, addr, func(n int) {
				waitFor(t, "our log lines", func() bool { return len(ours()) >= n })
				waitFrontendIdle(t, e, "fe")
			})
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
			want := refLines(ref, "L^", 4)
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
	// A socket bound to every address learns each connection's local
	// address (%fi) from the kernel; one bound to a single address
	// knows it.
	for _, tc := range []struct{ desc, backend, bind string }{{"normal close", "be", "127.0.0.1"},
		{"refused server", "dead", "127.0.0.1"}, {"bound to every address", "be", ""}} {
		t.Run(tc.desc, func(t *testing.T) {
			be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
			dead := deadAddr(t)
			cfg := func(port int) string {
				return fmt.Sprintf("defaults\n\tmode tcp\n\tlog stdout format raw local0\n\ttimeout connect 100ms\n\ttimeout client 5s\n\ttimeout server 2s\n\tretries 1\n"+
					"frontend fe\n\tbind %s:%d\n\tlog-format \"%s\"\n\tdefault_backend %s\n\tunique-id-format %%{+X}o\\ %%ci:%%cp_%%Ts:%%pid\n"+
					"backend be\n\tserver s1 %s\nbackend dead\n\tserver s9 %s\n", tc.bind, port, format, tc.backend, be.Addr("s1"), dead)
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
			ourPort := difftest.FreePort(t)
			_, ours := startOurs(t, cfg(ourPort), plainLine)
			run(fmt.Sprintf("127.0.0.1:%d", ourPort))
			want := refLines(ref, "L^", 1)
			var got []string
			waitFor(t, "our log line", func() bool { got = ours(); return len(got) >= len(want) })
			compareLines(t, tcpLogTerms, want, got)
		})
	}
}

// TestLogOptionsMatchReference: `option log-separate-errors` raises the
// level of an error's line, `option dontlog-normal` drops the lines of
// connections that ended normally; a normal connection (frontend fe) then
// a refused one (frontend fe2) give the reference's lines and levels.
func TestLogOptionsMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, option := range []string{"option log-separate-errors", "option dontlog-normal"} {
		t.Run(option, func(t *testing.T) {
			be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
			dead := deadAddr(t)
			cfg := func(p1, p2 int) string {
				return fmt.Sprintf("defaults\n\tmode tcp\n\tlog stdout format short local0\n\ttimeout connect 100ms\n\ttimeout client 5s\n\ttimeout server 2s\n\tretries 0\n"+
					"\t%s\n\tlog-format \"L %%f %%ts\"\n"+
					"frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend be\n"+
					"frontend fe2\n\tbind 127.0.0.1:%d\n\tdefault_backend dead\n"+
					"backend be\n\tserver s1 %s\nbackend dead\n\tserver s9 %s\n", option, p1, p2, be.Addr("s1"), dead)
			}
			run := func(normal, refused string) {
				_, c, err := difftest.Dial(normal, "")
				if err != nil {
					t.Fatal(err)
				}
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c)
				c.Close()
				if c, err = net.Dial("tcp", refused); err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, c)
				c.Close()
			}
			p1, p2 := difftest.FreePort(t), difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(p1, p2))
			run(fmt.Sprintf("127.0.0.1:%d", p1), fmt.Sprintf("127.0.0.1:%d", p2))
			ref.WaitLog("L fe2")
			var want []string
			for _, l := range strings.Split(ref.Output(), "\n") {
				if strings.Contains(l, ">L ") {
					want = append(want, l)
				}
			}

			q1, q2 := difftest.FreePort(t), difftest.FreePort(t)
			e, ours := startOurs(t, cfg(q1, q2), func(r *Record) (string, bool) {
				level, skip := r.Level()
				return fmt.Sprintf("<%d>%s", level, r.AppendLine(nil)), !skip
			})
			run(fmt.Sprintf("127.0.0.1:%d", q1), fmt.Sprintf("127.0.0.1:%d", q2))
			e.Stop(2 * time.Second) // every line is out once the engine stopped
			got := ours()
			slices.Sort(want) // the two connections end in either order
			slices.Sort(got)
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("\nref  %q\nours %q", want, got)
			}
		})
	}
}

// TestConnectLineMatchesReference: a frontend with log targets and no log
// format logs the reference's "Connect from" line when a stream starts:
// per connection in tcp mode, per parsed request in http mode (none for a
// connection closed before a request, nor for a malformed one), even with
// option dontlognull.
func TestConnectLineMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, mode := range []string{"tcp", "http"} {
		t.Run(mode, func(t *testing.T) {
			be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
			ok := startHTTPBackend(t, "s1")
			cfg := func(port int) string {
				server := be.Addr("s1")
				if mode == "http" {
					server = ok.addr().String()
				}
				return fmt.Sprintf("defaults\n\tmode %s\n\tlog stdout format raw local0\n\toption dontlognull\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\n"+
					"frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend be\nbackend be\n\tserver s1 %s\n", mode, port, server)
			}
			// run makes an empty connection, then (http) two requests on
			// one connection and a malformed one; the last line logged is
			// the last request's (tcp: the second connection's).
			run := func(addr string) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				if mode == "tcp" {
					if c, err = net.Dial("tcp", addr); err != nil {
						t.Fatal(err)
					}
					c.Close()
					return
				}
				sendMalformed(t, addr)
				c, err = net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				rd := bufio.NewReader(c)
				for range 2 {
					httpRoundTrip(t, c, rd, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
				}
			}
			n := 2
			port := difftest.FreePort(t)
			ref := difftest.StartReferenceConfig(t, bin, cfg(port))
			run(fmt.Sprintf("127.0.0.1:%d", port))
			want := refLines(ref, "Connect from", n)
			e, ours := startOurs(t, cfg(difftest.FreePort(t)), plainLine)
			run(feAddr(e, "fe"))
			// The client's dial completes in the kernel's backlog,
			// before the engine accepts: wait for the lines (as for
			// the reference) rather than stop, which would reset a
			// connection not accepted yet and never log it.
			waitFor(t, "our connect lines", func() bool { return len(ours()) >= n })
			e.Stop(2 * time.Second)
			ports := regexp.MustCompile(`:\d+`)
			mask := func(ls []string) string { return ports.ReplaceAllString(strings.Join(ls, "\n"), ":PORT") }
			if got := ours(); mask(want) != mask(got) || len(want) != n {
				t.Errorf("\nref  %q\nours %q", want, got)
			}
		})
	}
}

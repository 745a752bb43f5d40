package proxy

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

var countsRE = regexp.MustCompile(`\d+/\d+/\d+/\d+/\d+ \d+/\d+`)

// probeScenario opens connections that never complete a request on addr:
// closed at once, left idle past timeout http-request, half-closed, and
// closed after two bytes. It returns what each one read.
func probeScenario(t *testing.T, addr string) []string {
	var got []string
	dial := func() *net.TCPConn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		return c.(*net.TCPConn)
	}
	read := func(c net.Conn) string {
		buf := make([]byte, 30)
		n, _ := c.Read(buf)
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		return line
	}
	c := dial()
	c.Close()
	time.Sleep(50 * time.Millisecond)
	c = dial()
	got = append(got, "idle: "+read(c))
	c.Close()
	c = dial()
	c.CloseWrite()
	got = append(got, "half-closed: "+read(c))
	c.Close()
	c = dial()
	c.Write([]byte("GE"))
	time.Sleep(50 * time.Millisecond)
	c.Close()
	return got
}

// TestProbesMatchReference: connections that end before their first
// request is complete are answered and logged as the reference does
// (400 for a client gone or half-closed, 408 at timeout http-request),
// and with option http-ignore-probes the ones that sent nothing at all
// are closed with neither an answer nor a log line.
func TestProbesMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	config := func(ports [2]int) string {
		return fmt.Sprintf(httpLogDefaults+`	timeout http-request 300ms
listen a
	bind 127.0.0.1:%d
	server s1 127.0.0.1:9
listen b
	bind 127.0.0.1:%d
	option http-ignore-probes
	server s1 127.0.0.1:9
`, ports[0], ports[1])
	}
	type outcome struct{ answers, logs []string }
	run := func(start func(cfg string) (logs func() []string), ports [2]int) outcome {
		logs := start(config(ports))
		var o outcome
		for i, name := range []string{"a", "b"} {
			for _, a := range probeScenario(t, fmt.Sprintf("127.0.0.1:%d", ports[i])) {
				o.answers = append(o.answers, name+" "+a)
			}
		}
		// Five lines are expected from the reference; wait (bounded).
		for range 100 {
			if o.logs = logs(); len(o.logs) >= 5 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		o.logs = logs()
		// Connection counts and the order of the lines depend on how
		// fast each close is seen: compared as sets, counts masked.
		for i, l := range o.logs {
			o.logs[i] = countsRE.ReplaceAllString(maskHTTPLog(t, l), "COUNTS")
		}
		slices.Sort(o.logs)
		return o
	}
	free := func() [2]int { return [2]int{difftest.FreePort(t), difftest.FreePort(t)} }
	want := run(func(cfg string) func() []string {
		ref := difftest.StartReferenceConfig(t, bin, cfg)
		return func() []string {
			var lines []string
			for _, l := range strings.Split(ref.Output(), "\n") {
				if httplogRE.MatchString(l) {
					lines = append(lines, l)
				}
			}
			return lines
		}
	}, free())
	got := run(func(cfg string) func() []string {
		c, diags := adapt(t, cfg)
		if c == nil {
			t.Fatalf("adapter refused the configuration: %v", diags)
		}
		lines := &httpLogLines{}
		startEngineOpts(t, c, Options{AccessLog: lines.add})
		return lines.get
	}, free())
	if w, g := strings.Join(want.answers, "\n"), strings.Join(got.answers, "\n"); w != g {
		t.Errorf("answers:\nours:\n%s\nreference:\n%s", g, w)
	}
	if w, g := strings.Join(want.logs, "\n"), strings.Join(got.logs, "\n"); w != g {
		t.Errorf("log lines:\nours:\n%s\nreference:\n%s", g, w)
	}
}

package proxy

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
	"fulcrum/proxy/internal/difftest"
)

// switchable is a backend that can be stopped and restarted on the same
// port, and answers HTTP with a settable status.
type switchable struct {
	t      *testing.T
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	hold   func() // releases the port held while stopped
	status atomic.Int64
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{t: t}
	s.status.Store(200)
	s.start(difftest.BackendHost + ":0")
	t.Cleanup(func() { s.stop(); s.release() })
	return s
}

func (s *switchable) start(addr string) {
	ln := difftest.Serve(s.t, addr, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		rd := bufio.NewReader(c)
		line, err := rd.ReadString('\n')
		if err != nil || !strings.Contains(line, "HTTP/") {
			return
		}
		for {
			l, err := rd.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		code := s.status.Load()
		text := map[int64]string{200: "OK", 503: "Service Unavailable"}[code]
		fmt.Fprintf(c, "HTTP/1.0 %d %s\r\nContent-Length: 2\r\n\r\nok", code, text)
	})
	s.mu.Lock()
	s.ln, s.addr = ln, ln.Addr().String()
	s.mu.Unlock()
}

// stop closes the listener and holds the port (difftest.HoldPort) so that
// no other test process's listener takes it before restart.
func (s *switchable) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
		hold, err := difftest.HoldPort(s.addr)
		if err != nil {
			s.t.Errorf("stopping %s: %v", s.addr, err)
			return
		}
		s.hold = hold
	}
}

func (s *switchable) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		s.hold()
		s.hold = nil
	}
}

func (s *switchable) restart() {
	s.release()
	s.start(s.addr)
}

var durationRE = regexp.MustCompile(`check duration: \d+ms`)

func normCheck(s string) string { return durationRE.ReplaceAllString(s, "check duration: Nms") }

// checkStep is one action of the health check scenario and the log line
// substring that shows it took effect.
type checkStep struct {
	desc string
	do   func(srv map[string]*switchable)
	wait string
}

// TestCheckLogsMatchReference plays servers dying, failing HTTP checks and
// coming back against the reference and against our engine, and compares
// the state-change log lines (check durations normalised).
func TestCheckLogsMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	steps := []checkStep{
		{"s1 killed", func(m map[string]*switchable) { m["s1"].stop() }, "be/s1 is DOWN"},
		{"s2 answers 503", func(m map[string]*switchable) { m["s2"].status.Store(503) }, "be/s2 is DOWN"},
		{"backup killed", func(m map[string]*switchable) { m["b1"].stop() }, "has no server available"},
		{"s1 back", func(m map[string]*switchable) { m["s1"].restart() }, "be/s1 is UP"},
		{"s2 healthy", func(m map[string]*switchable) { m["s2"].status.Store(200) }, "be/s2 is UP"},
		{"backup back", func(m map[string]*switchable) { m["b1"].restart() }, "be/b1 is UP"},
	}
	run := func(t *testing.T, start func(m map[string]*switchable) func(string) string) []string {
		m := map[string]*switchable{"s1": newSwitchable(t), "s2": newSwitchable(t), "b1": newSwitchable(t)}
		waitLog := start(m)
		var got []string
		for _, st := range steps {
			st.do(m)
			got = append(got, normCheck(waitLog(st.wait)))
		}
		return got
	}
	want := run(t, func(m map[string]*switchable) func(string) string {
		body := "defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n" +
			fmt.Sprintf("frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend be\n", difftest.FreePort(t)) +
			"backend be\n\toption httpchk GET /health\n" +
			fmt.Sprintf("\tserver s1 %s check inter 100ms fall 2 rise 2\n", m["s1"].addr) +
			fmt.Sprintf("\tserver s2 %s check inter 100ms fall 2 rise 2\n", m["s2"].addr) +
			fmt.Sprintf("\tserver b1 %s check inter 100ms fall 1 rise 1 backup\n", m["b1"].addr)
		ref := difftest.StartReferenceConfig(t, bin, body)
		return ref.WaitLog
	})
	got := run(t, func(m map[string]*switchable) func(string) string {
		sink := &logSink{}
		srv := func(name string, backup bool, rise, fall int) *Server {
			return &Server{Name: name, Addr: netip.MustParseAddrPort(m[name].addr), Weight: 1, Backup: backup,
				Check: true, Inter: 100 * time.Millisecond, Rise: rise, Fall: fall}
		}
		cfg := &Config{
			Frontends: []*Frontend{{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "be"}},
			Backends: []*Backend{{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin}, Retries: 3,
				TimeoutConnect: time.Second, Check: check.Spec{Kind: check.HTTP, Method: "GET", URI: "/health"},
				Servers: []*Server{srv("s1", false, 2, 2), srv("s2", false, 2, 2), srv("b1", true, 1, 1)}}},
		}
		startEngine(t, cfg, sink)
		return func(s string) string {
			line := sink.wait(t, s)
			_, msg, _ := strings.Cut(line, "] ")
			return msg
		}
	})
	for i := range steps {
		if got[i] != want[i] {
			t.Errorf("%s:\nref:  %s\nours: %s", steps[i].desc, want[i], got[i])
		}
	}
}

package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/internal/reftest"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/difftest"
)

// logSink collects engine log lines for assertions.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) log(lv Level, _, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, "["+lv.String()+"] "+msg)
}

func (l *logSink) wait(t *testing.T, substr string) string {
	t.Helper()
	for range 400 {
		l.mu.Lock()
		for _, x := range l.lines {
			if strings.Contains(x, substr) {
				l.mu.Unlock()
				return x
			}
		}
		l.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line containing %q; got %q", substr, l.lines)
	return ""
}

// loopback binds port 0: the kernel picks a port no other socket holds
// (a port chosen beforehand could be shared through SO_REUSEPORT with
// another test process's listener).
func loopback(t *testing.T) Bind {
	return Bind{Addr: ListenAddr{Family: FamilyIPv4, Host: netip.MustParseAddr("127.0.0.1")}}
}

// startEngine runs cfg and stops it at the end of the test.
func startEngine(t *testing.T, cfg *Config, sink *logSink) *Engine {
	t.Helper()
	opts := Options{}
	if sink != nil {
		opts.Log = sink.log
	}
	return startEngineOpts(t, cfg, opts)
}

// startEngineOpts runs cfg with opts until the test ends.
func startEngineOpts(t *testing.T, cfg *Config, opts Options) *Engine {
	t.Helper()
	e, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(2 * time.Second) })
	return e
}

// httpLogLines collects the httplog lines of our engine's access log.
type httpLogLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *httpLogLines) add(r *Record) {
	line := HTTPLog(r)
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

// get returns the lines logged so far.
func (l *httpLogLines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// startText maps a configuration text and runs it until the test ends;
// an ALERT from the model or the adapter fails the test.
func startText(t *testing.T, text string) *Engine {
	t.Helper()
	cfg, diags := adapt(t, text)
	if cfg == nil || confparse.HasAlert(diags) {
		t.Fatalf("adapter refused the configuration: %v", diags)
	}
	return startEngine(t, cfg, nil)
}

func feAddr(e *Engine, fe string) string { return e.Addrs()[fe][0].String() }

// backendConfig maps a difftest scenario onto an engine backend.
func backendConfig(t *testing.T, sc difftest.Scenario, be *difftest.Backends) *Backend {
	f := strings.Fields(sc.Balance)
	bal := balance.Config{Algo: balance.Algo(f[0]), AllBackups: sc.AllBackups}
	h := strings.Fields(sc.HashType)
	if len(h) > 0 {
		bal.Consistent = h[0] == "consistent"
		bal.Avalanche = len(h) == 1 && bal.Consistent || len(h) > 2 && h[2] == "avalanche"
		if len(h) > 1 {
			bal.Func = balance.HashFunc(h[1])
		}
	}
	b := &Backend{Name: "be", Balance: bal, Retries: 3, TimeoutConnect: 2 * time.Second, TimeoutServer: 30 * time.Second}
	for _, s := range sc.Servers {
		w := s.Weight
		if w == 0 {
			w = 1
		}
		b.Servers = append(b.Servers, &Server{Name: s.Name, Addr: netip.MustParseAddrPort(be.Addr(s.Name)),
			Weight: w, Backup: s.Backup, MaxConn: s.MaxConn})
	}
	return b
}

// enginePlayer plays scenarios through our engine, marking servers down
// explicitly.
type enginePlayer struct {
	e *Engine
}

func (p enginePlayer) Addr() string { return feAddr(p.e, "fe") }
func (p enginePlayer) Settle(name string, n int) {
	c := p.e.ServerCounters("be", name)
	for range 400 {
		if c.Cur.Load() == int64(n) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	panic(fmt.Sprintf("be/%s never settled at %d connections", name, n))
}

func (p enginePlayer) SetWeight(name string, w int) {
	if err := p.e.SetServerWeight("be", name, w); err != nil {
		panic(err)
	}
}

func (p enginePlayer) SetUp(name string, up bool) {
	if err := p.e.SetServerUp("be", name, up); err != nil {
		panic(err)
	}
}

// TestDifferentialEngine runs the standard scenarios through the reference
// and through our engine (real connections both sides) and compares the
// sequence of servers that answered.
func TestDifferentialEngine(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, sc := range append(difftest.Standard(), difftest.TCPKeys()...) {
		t.Run(sc.Name, func(t *testing.T) {
			want := difftest.RunReference(t, bin, sc)
			be2 := difftest.StartBackends(t, sc.Servers)
			fe := &Frontend{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "be", TimeoutClient: 30 * time.Second}
			if sc.FrontendLines != "" {
				// tcp-request inspect-delay 5s
				// tcp-request content accept if RDP_COOKIE
				fe.InspectDelay = 5 * time.Second
				fe.ContentRules = []Rule{{Action: Accept, Cond: func(s *Session) Verdict {
					_, v := s.ReqRDPCookie("")
					return v
				}}}
			}
			bc := backendConfig(t, sc, be2)
			if sc.Balance == "hash src" {
				bc.HashKey = (*Session).SrcBinary
			}
			cfg := &Config{Frontends: []*Frontend{fe}, Backends: []*Backend{bc}}
			e := startEngine(t, cfg, nil)
			got := difftest.Play(t, sc, enginePlayer{e})
			if !slices.Equal(got, want) {
				t.Errorf("engine picks differ from the reference\nref:  %v\nours: %v", want, got)
			}
		})
	}
}

// echoServer echoes everything until EOF, then closes.
func echoServer(t *testing.T) string {
	return difftest.Serve(t, difftest.BackendHost+":0", func(c net.Conn) { io.Copy(c, c) }).Addr().String()
}

func simpleConfig(t *testing.T, servers ...string) *Config {
	b := &Backend{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin}, Retries: 3,
		TimeoutConnect: time.Second, TimeoutServer: 10 * time.Second}
	for i, a := range servers {
		b.Servers = append(b.Servers, &Server{Name: fmt.Sprintf("s%d", i+1), Addr: netip.MustParseAddrPort(a), Weight: 1})
	}
	return &Config{
		Frontends: []*Frontend{{Name: "fe", Binds: []Bind{loopback(t)}, DefaultBackend: "be", TimeoutClient: 10 * time.Second}},
		Backends:  []*Backend{b},
	}
}

// TestHalfClose: the client's FIN reaches the server, the server's answer
// still comes back, byte counters match.
func TestHalfClose(t *testing.T) {
	e := startEngine(t, simpleConfig(t, echoServer(t)), nil)
	c := dialFE(t, e)
	payload := strings.Repeat("x", 100000)
	go func() {
		io.WriteString(c, payload)
		c.(*net.TCPConn).CloseWrite()
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != payload {
		t.Fatalf("echo returned %d bytes, want %d", len(got), len(payload))
	}
	c.Close()
	fc := e.FrontendCounters("fe")
	for range 200 {
		if fc.Cur.Load() == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if in, out := fc.BytesIn.Load(), fc.BytesOut.Load(); in != 100000 || out != 100000 {
		t.Fatalf("counters in=%d out=%d, want 100000 each", in, out)
	}
}

// TestTimeoutClient: an idle connection is closed after timeout client.
func TestTimeoutClient(t *testing.T) {
	cfg := simpleConfig(t, echoServer(t))
	cfg.Frontends[0].TimeoutClient = 200 * time.Millisecond
	cfg.Backends[0].TimeoutServer = 200 * time.Millisecond
	e := startEngine(t, cfg, nil)
	c := dialFE(t, e)
	expectEOF(t, c, "idle connection")
}

// TestRetriesRedispatch: a dead server is retried, then the connection is
// redispatched to a live one.
func TestRetriesRedispatch(t *testing.T) {
	cfg := simpleConfig(t, deadAddr(t), echoServer(t))
	cfg.Backends[0].Redispatch = true
	cfg.Backends[0].Retries = 1
	// The dead server refuses at once (nothing listens on that loopback
	// address), so the timeout only bounds a connect to the live one:
	// it must be far above what a loaded machine takes to accept on
	// loopback, or the live server times out too and the client is
	// reset.
	cfg.Backends[0].TimeoutConnect = 5 * time.Second
	e := startEngine(t, cfg, nil)
	for i := range 4 {
		c := dialFE(t, e)
		io.WriteString(c, "ping\n")
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || line != "ping\n" {
			t.Fatalf("connection %d: %q %v", i, line, err)
		}
	}
	if r := e.ServerCounters("be", "s1").Redispatches.Load(); r == 0 {
		t.Fatalf("no redispatch counted on the dead server")
	}
}

// TestNoRedispatchFails: without redispatch, a dead server's connections
// fail after the retries.
func TestNoRedispatchFails(t *testing.T) {
	cfg := simpleConfig(t, deadAddr(t))
	cfg.Backends[0].Retries = 2
	cfg.Backends[0].TimeoutConnect = 20 * time.Millisecond
	e := startEngine(t, cfg, nil)
	c := dialFE(t, e)
	expectEOF(t, c, "got %v, want EOF")
	if f := e.ServerCounters("be", "s1").FailedConns.Load(); f != 3 {
		t.Fatalf("failed attempts = %d, want 3 (1 + 2 retries)", f)
	}
}

// dialFE connects to the engine's "fe" frontend; closed when the test ends.
func dialFE(t *testing.T, e *Engine) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", feAddr(e, "fe"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// expectEOF waits for the proxy to close c.
func expectEOF(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("%s: got %v, want EOF from the proxy", what, err)
	}
}

// deadAddr is a loopback address nothing listens on: a port free on
// 127.0.0.1, on a loopback address no test binds, so no other process can
// take it between the choice and the use.
func deadAddr(t *testing.T) string {
	return fmt.Sprintf("127.254.0.1:%d", difftest.FreePort(t))
}

package proxy

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

var staleErrno = regexp.MustCompile(` \([A-Za-z ]+\)"`)

// socks4Proxy is a SOCKS4 proxy for tests: it records each CONNECT
// request and grants it (relaying to the asked address) or refuses it.
type socks4Proxy struct {
	addr string
	deny atomic.Bool
	mu   sync.Mutex
	reqs []string // hex of each request, user id and NUL included
}

func startSocks4(t *testing.T) *socks4Proxy {
	p := &socks4Proxy{}
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		rd := bufio.NewReader(c)
		head := make([]byte, 8)
		if _, err := io.ReadFull(rd, head); err != nil {
			return
		}
		user, err := rd.ReadBytes(0)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.reqs = append(p.reqs, hex.EncodeToString(append(head, user...)))
		p.mu.Unlock()
		if p.deny.Load() {
			c.Write([]byte{0, 91, 0, 0, 0, 0, 0, 0})
			return
		}
		target := net.JoinHostPort(net.IP(head[4:8]).String(), fmt.Sprint(int(head[2])<<8|int(head[3])))
		up, err := net.Dial("tcp", target)
		if err != nil {
			c.Write([]byte{0, 91, 0, 0, 0, 0, 0, 0})
			return
		}
		defer up.Close()
		c.Write(append([]byte{0, 90}, head[2:8]...))
		go io.Copy(up, rd)
		io.Copy(c, up)
	})
	p.addr = ln.Addr().String()
	return p
}

// requests returns the distinct requests the proxy received.
func (p *socks4Proxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := slices.Clone(p.reqs)
	slices.Sort(r)
	return slices.Compact(r)
}

// TestSocks4MatchesReference: a server behind `socks4` is reached through
// the SOCKS4 proxy, with the reference's request (its user id included),
// for traffic and, with check-via-socks4, for health checks; a refusal
// takes the server down with the reference's reason.
func TestSocks4MatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	type outcome struct {
		status, down string
		requests     []string
	}
	run := func(t *testing.T, start func(cfg string) (wait func(string) string)) outcome {
		backend := newSwitchable(t)
		socks := startSocks4(t)
		port := difftest.FreePort(t)
		wait := start(fmt.Sprintf(`defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen l
	bind 127.0.0.1:%d
	option httpchk GET /health
	server s1 %s socks4 %s check-via-socks4 check inter 100ms rise 1 fall 1
`, port, backend.addr, socks.addr))
		var o outcome
		head, _, err := difftest.RawHTTP(fmt.Sprintf("127.0.0.1:%d", port), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		o.status, _, _ = strings.Cut(head, "\r\n")
		socks.deny.Store(true)
		// Under load the reference's info sometimes carries a stale
		// errno's words after its own ("... request (Message too
		// long)"): the text before them is what is compared.
		o.down = staleErrno.ReplaceAllString(normCheck(wait("Server l/s1 is DOWN")), `"`)
		// The backend's port differs between the runs.
		_, bport, _ := net.SplitHostPort(backend.addr)
		var pn int
		fmt.Sscan(bport, &pn)
		for _, r := range socks.requests() {
			o.requests = append(o.requests, strings.Replace(r, fmt.Sprintf("%04x", pn), "PORT", 1))
		}
		return o
	}
	want := run(t, func(cfg string) func(string) string {
		ref := difftest.StartReferenceConfig(t, bin, cfg)
		return ref.WaitLog
	})
	got := run(t, func(cfg string) func(string) string {
		sink := &logSink{}
		c, diags := adapt(t, cfg)
		if c == nil {
			t.Fatalf("adapter refused the configuration: %v", diags)
		}
		startEngine(t, c, sink)
		return func(s string) string {
			_, msg, _ := strings.Cut(sink.wait(t, s), "] ")
			return msg
		}
	})
	if !strings.Contains(want.status, "200") || len(want.requests) == 0 {
		t.Fatalf("the reference did not go through the SOCKS4 proxy: %q, requests %q", want.status, want.requests)
	}
	if got.status != want.status {
		t.Errorf("status through the proxy: ours %q, reference %q", got.status, want.status)
	}
	if !slices.Equal(got.requests, want.requests) {
		t.Errorf("SOCKS4 requests: ours %q, reference %q", got.requests, want.requests)
	}
	if got.down != want.down {
		t.Errorf("refusal:\nours: %s\nref:  %s", got.down, want.down)
	}
}

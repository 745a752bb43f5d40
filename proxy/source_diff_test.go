package proxy

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/srcbind"
)

// peerRecorder is a server on 127.0.0.1 that notes the address each
// connection comes from, answers "OK" and closes (first, so TIME_WAIT
// stays on its side and a source port can be bound again at once).
type peerRecorder struct {
	ln    net.Listener
	mu    sync.Mutex
	peers []netip.AddrPort
}

func newPeerRecorder(t *testing.T) *peerRecorder {
	t.Helper()
	r := &peerRecorder{}
	r.ln = difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		r.mu.Lock()
		r.peers = append(r.peers, c.RemoteAddr().(*net.TCPAddr).AddrPort())
		r.mu.Unlock()
		c.Write([]byte("OK\n"))
	})
	return r
}

func (r *peerRecorder) addr() string { return r.ln.Addr().String() }

// seen lists the peers so far: "IP" or "IP:PORT" when withPort.
func (r *peerRecorder) seen(withPort bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.peers {
		if withPort {
			out = append(out, p.String())
		} else {
			out = append(out, p.Addr().String())
		}
	}
	return out
}

// waitPeers waits until n connections arrived (bounded).
func (r *peerRecorder) waitPeers(n int) {
	for range 300 {
		r.mu.Lock()
		got := len(r.peers)
		r.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sourceScenario is one run's servers: a port range, the backend's
// source, usesrc clientip and usesrc client for traffic, and checks
// from a defaults source and from a server's own.
type sourceScenario struct {
	rangeSrv, beSrv, clientIP, client, chkDefault, chkOwn, iface *peerRecorder
}

func newSourceScenario(t *testing.T) *sourceScenario {
	return &sourceScenario{newPeerRecorder(t), newPeerRecorder(t), newPeerRecorder(t), newPeerRecorder(t),
		newPeerRecorder(t), newPeerRecorder(t), newPeerRecorder(t)}
}

func (sc *sourceScenario) config(port, low int) string {
	return fmt.Sprintf(`defaults
  mode tcp
  timeout connect 1s
  timeout client 5s
  timeout server 5s
  retries 0
frontend fe
  bind 127.0.0.1:%d
  default_backend traffic
frontend fe2
  bind 127.0.0.1:%d
  default_backend tproxyclient
backend traffic
  balance roundrobin
  source 127.0.0.2
  server range %s source 127.0.0.3:%d-%d
  server be %s
  server clientip %s source 127.0.0.4 usesrc clientip
  server iface %s source 127.0.0.7 interface nosuchdev0
backend tproxyclient
  retries 3
  server client %s source 0.0.0.0 usesrc client
defaults checked
  mode tcp
  timeout connect 1s
  timeout check 1s
  timeout client 5s
  timeout server 5s
  source 127.0.0.5
backend checks from checked
  option tcp-check
  tcp-check expect string OK
  server dflt %s check inter 100ms
  server own %s check inter 100ms source 127.0.0.6 usesrc clientip
`, port, port+1, sc.rangeSrv.addr(), low, low+1, sc.beSrv.addr(), sc.clientIP.addr(), sc.iface.addr(), sc.client.addr(),
		sc.chkDefault.addr(), sc.chkOwn.addr())
}

// play sends twelve connections from 127.0.0.9 to the traffic frontend and
// one to the usesrc client frontend, then waits for the checks, and
// describes what each server saw.
func (sc *sourceScenario) play(t *testing.T, port int) map[string][]string {
	t.Helper()
	get := func(addr string) string {
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return "dial: " + err.Error()
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 16)
		n, _ := c.Read(buf)
		return string(buf[:n])
	}
	out := map[string][]string{}
	for range 12 {
		out["answers"] = append(out["answers"], get(fmt.Sprintf("127.0.0.1:%d", port)))
	}
	// usesrc client cannot bind the client's own address and port on
	// this host: both refuse the connection.
	out["client answer"] = []string{get(fmt.Sprintf("127.0.0.1:%d", port+1))}
	sc.chkDefault.waitPeers(2)
	sc.chkOwn.waitPeers(2)
	out["range"] = sc.rangeSrv.seen(true)
	out["be"] = sc.beSrv.seen(false)
	out["clientip"] = sc.clientIP.seen(false)
	out["client"] = sc.client.seen(false)
	out["interface"] = sc.iface.seen(false)
	// Checks: the address of the first two only (their count depends on
	// timing).
	out["check from defaults"] = sc.chkDefault.seen(false)[:min(2, len(sc.chkDefault.seen(false)))]
	out["check from own source"] = sc.chkOwn.seen(false)[:min(2, len(sc.chkOwn.seen(false)))]
	return out
}

// TestSourceDifferential: `source` in defaults and backends and as a
// server option, a port range, usesrc clientip and client, and health
// checks: the servers see the same peers behind ours and the reference.
func TestSourceDifferential(t *testing.T) {
	ref := reftest.HAProxy(t)
	low := difftest.FreePort(t)

	refSc := newSourceScenario(t)
	refPort := difftest.FreePort(t)
	refProc := difftest.StartReferenceConfig(t, ref, refSc.config(refPort, low))
	want := refSc.play(t, refPort)

	oursSc := newSourceScenario(t)
	oursPort := difftest.FreePort(t)
	cfg, diags := adapt(t, oursSc.config(oursPort, low))
	if cfg == nil || confparse.HasAlert(diags) {
		t.Fatalf("adapter refused the configuration: %v", diags)
	}
	for _, d := range diags {
		if strings.Contains(d.Message, "source") {
			t.Errorf("stale warning: %s", d.Message)
		}
	}
	sink := &logSink{}
	startEngine(t, cfg, sink)
	got := oursSc.play(t, oursPort)

	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	}) {
		if !slices.Equal(got[k], want[k]) {
			t.Errorf("%s: ours %q, reference %q", k, got[k], want[k])
		}
	}
	// The scenario means what it says: the reference did bind.
	if len(want["range"]) != 3 || !strings.HasPrefix(want["range"][0], "127.0.0.3:") || want["be"][0] != "127.0.0.2" ||
		want["clientip"][0] != "127.0.0.9" || want["check from own source"][0] != "127.0.0.6" {
		t.Errorf("unexpected reference peers: %q", want)
	}
	const msg = "Cannot bind to tproxy source address before connect() for backend tproxyclient."
	refProc.WaitLog(msg)
	sink.wait(t, msg)
	// Each attempt (the first and 3 retries, at once) says so.
	sink.mu.Lock()
	ours := strings.Count(strings.Join(sink.lines, "\n"), msg)
	sink.mu.Unlock()
	if want := strings.Count(refProc.Output(), "[ALERT]    ("); ours != want || want != 4 {
		t.Errorf("ours reported %d failed binds, the reference %d (want 4)", ours, want)
	}
}

// TestSourceHdrIPWarned: usesrc hdr_ip() is not built: a warning at its
// line, and the source address is bound.
func TestSourceHdrIPWarned(t *testing.T) {
	cfg, diags := adapt(t, "defaults\n  mode http\nbackend b\n  source 127.0.0.2 usesrc hdr_ip(x-forwarded-for)\n  server s 127.0.0.1:80\n")
	if cfg == nil || confparse.HasAlert(diags) {
		t.Fatalf("refused: %v", diags)
	}
	found := false
	for _, d := range diags {
		found = found || strings.Contains(d.Message, ":4] : 'server b/s' : 'usesrc hdr_ip(x-forwarded-for)' is not acted on yet")
	}
	if !found {
		t.Errorf("no warning at line 4: %v", diags)
	}
	if src := cfg.Backends[0].Servers[0].Source; src == nil || src.Addr.String() != "127.0.0.2" || src.Use != srcbind.UseNone {
		t.Errorf("source %+v", src)
	}
}

package proxy

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fulcrum/proxy/internal/difftest"
)

func TestParseListenAddrs(t *testing.T) {
	tests := []struct {
		desc, in string
		want     []string // Key()s
		err      bool
	}{
		{desc: "ipv4", in: "127.0.0.1:80", want: []string{"1/127.0.0.1:80-80"}},
		{desc: "wildcard star", in: "*:80", want: []string{"0/*:80-80"}},
		{desc: "wildcard empty", in: ":80", want: []string{"0/*:80-80"}},
		{desc: "ipv6 any", in: ":::443", want: []string{"2/*:443-443"}},
		{desc: "ipv6 literal", in: "[::1]:443", want: []string{"2/::1:443-443"}},
		{desc: "ipv6 unbracketed", in: "::1:443", want: []string{"2/::1:443-443"}},
		{desc: "range", in: "127.0.0.1:8000-8003", want: []string{"1/127.0.0.1:8000-8003"}},
		{desc: "list", in: "127.0.0.1:80,127.0.0.2:81", want: []string{"1/127.0.0.1:80-80", "1/127.0.0.2:81-81"}},
		{desc: "ipv4 prefix wildcard", in: "ipv4@:80", want: []string{"1/*:80-80"}},
		{desc: "ipv6 prefix wildcard", in: "ipv6@:80", want: []string{"2/*:80-80"}},
		{desc: "unix", in: "unix@/run/x.sock", want: []string{"unix@/run/x.sock"}},
		{desc: "bare path", in: "/run/x.sock", want: []string{"unix@/run/x.sock"}},
		{desc: "abns", in: "abns@name", want: []string{"abns@name"}},
		{desc: "fd", in: "fd@3", want: []string{"fd@3"}},
		{desc: "no port", in: "127.0.0.1", err: true},
		{desc: "bad port", in: "127.0.0.1:99999", err: true},
		{desc: "port zero", in: "127.0.0.1:0", err: true},
		{desc: "reversed range", in: "127.0.0.1:90-80", err: true},
		{desc: "bad family", in: "sctp@1.2.3.4:5", err: true},
		{desc: "bad fd", in: "fd@x", err: true},
		{desc: "v4 with ipv6@", in: "ipv6@1.2.3.4:5", err: true},
		{desc: "empty", in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := ParseListenAddrs(tt.in)
			if tt.err {
				if err == nil {
					t.Fatalf("want an error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, a := range got {
				keys = append(keys, a.Key())
			}
			if fmt.Sprint(keys) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v want %v", keys, tt.want)
			}
		})
	}
}

func FuzzParseListenAddrs(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", ":::1-2", "unix@/x", "fd@3", "ipv6@[::1]:5,*:7", "abns@a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, err := ParseListenAddrs(s)
		if err != nil {
			return
		}
		for _, a := range addrs {
			if a.Family <= FamilyIPv6 && (a.PortLow == 0 || a.PortHigh < a.PortLow) {
				t.Fatalf("%q: bad ports %+v", s, a)
			}
			if _, err := ParseListenAddrs(a.String()); err != nil {
				t.Fatalf("%q: printed form %q does not parse: %v", s, a.String(), err)
			}
		}
	})
}

// bindTo parses one address for a test.
func bindTo(t *testing.T, s string) Bind {
	a, err := ParseListenAddrs(s)
	if err != nil {
		t.Fatal(err)
	}
	return Bind{Addr: a[0], UID: -1, GID: -1}
}

// dialGreeting connects over network/addr and returns the greeting.
func dialGreeting(t *testing.T, network, addr string) string {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return greeting(t, c)
}

// TestListenerKinds: IPv4, IPv6, port ranges, unix and abstract sockets,
// an inherited fd@ socket, all in one frontend.
func TestListenerKinds(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	dir := t.TempDir()
	sock := filepath.Join(dir, "fe.sock")
	p1 := difftest.FreePort(t)
	p2 := p1 + 1
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p2)); err != nil {
		t.Skipf("port %d busy: %v", p2, err)
	} else {
		ln.Close()
	}
	inherited, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := inherited.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inheritedAddr := inherited.Addr().String()
	inherited.Close() // the dup in f keeps the socket listening
	unixBind := bindTo(t, "unix@"+sock)
	unixBind.Mode = 0o600
	abns := fmt.Sprintf("fulcrum-test-%d", os.Getpid())
	binds := []Bind{
		bindTo(t, fmt.Sprintf("127.0.0.1:%d-%d", p1, p2)),
		unixBind,
		bindTo(t, "abns@"+abns),
		bindTo(t, fmt.Sprintf("fd@%d", f.Fd())),
	}
	v6 := false
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		ln.Close()
		v6 = true
		binds = append(binds, bindTo(t, fmt.Sprintf("[::1]:%d", difftest.FreePort(t))))
	}
	cfg.Frontends[0].Binds = binds
	e := startEngine(t, cfg, nil)
	for _, a := range []struct{ network, addr string }{
		{"tcp", fmt.Sprintf("127.0.0.1:%d", p1)},
		{"tcp", fmt.Sprintf("127.0.0.1:%d", p2)},
		{"unix", sock},
		{"unix", "@" + abns},
		{"tcp", inheritedAddr},
	} {
		if g := dialGreeting(t, a.network, a.addr); g != "s1" {
			t.Fatalf("%s %s: %q", a.network, a.addr, g)
		}
	}
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("unix socket mode: %v %v", st, err)
	}
	if v6 {
		for _, a := range e.Addrs()["fe"] {
			if ta, ok := a.(*net.TCPAddr); ok && ta.IP.To4() == nil {
				if g := dialGreeting(t, "tcp", a.String()); g != "s1" {
					t.Fatalf("ipv6: %q", g)
				}
			}
		}
	}
}

// TestReusePort: a second engine binds the same port while the first one
// still listens (an old and a new process during a reload).
func TestReusePort(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	e1 := startEngine(t, cfg, nil)
	addr := feAddr(e1, "fe")
	cfg2 := greeterConfig(t, be, "s1")
	cfg2.Frontends[0].Binds = []Bind{bindTo(t, addr)}
	e2 := startEngine(t, cfg2, nil)
	if feAddr(e2, "fe") != addr {
		t.Fatalf("engines bound %s and %s", addr, feAddr(e2, "fe"))
	}
	e1.Stop(time.Second)
	if g := dialGreeting(t, "tcp", addr); g != "s1" {
		t.Fatalf("after the first engine stopped: %q", g)
	}
}

// TestPauseResume: a paused engine refuses new connections on its port
// (the socket is gone) but keeps serving the established ones; Resume
// listens again on the same address.
func TestPauseResume(t *testing.T) {
	be := difftest.StartBackends(t, []difftest.Server{{Name: "s1"}})
	cfg := greeterConfig(t, be, "s1")
	e := startEngine(t, cfg, nil)
	addr := feAddr(e, "fe")
	cfg.Frontends[0].Binds = []Bind{bindTo(t, addr)} // fixed port for Resume
	if err := e.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	c := dialFE(t, e)
	greeting(t, c)
	e.Pause()
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("paused engine still accepts")
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("established connection broken by pause: %v", err)
	}
	if err := e.Resume(); err != nil {
		t.Fatal(err)
	}
	if g := dialGreeting(t, "tcp", addr); g != "s1" {
		t.Fatalf("after resume: %q", g)
	}
}

package apisock

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/proxy"
	"fulcrum/proxy/balance"
)

// testEngine runs a one-backend engine on loopback.
func testEngine(t *testing.T) *proxy.Engine {
	t.Helper()
	cfg := &proxy.Config{
		Frontends: []*proxy.Frontend{{Name: "fe", DefaultBackend: "be",
			Binds: []proxy.Bind{{Addr: proxy.ListenAddr{Family: proxy.FamilyIPv4, Host: netip.MustParseAddr("127.0.0.1")}}}}},
		Backends: []*proxy.Backend{{Name: "be", Balance: balance.Config{Algo: balance.RoundRobin},
			Servers: []*proxy.Server{{Name: "s1", Addr: netip.MustParseAddrPort("127.0.0.1:9"), Weight: 1}}}},
	}
	return startEngine(t, cfg)
}

// startEngine runs cfg until the test ends.
func startEngine(t *testing.T, cfg *proxy.Config) *proxy.Engine {
	t.Helper()
	e, err := proxy.New(cfg, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// ask sends one request line on a fresh connection and reads the answer
// until the server closes.
func ask(t *testing.T, network, addr, line string) string {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, line+"\n")
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestSocketsKinds(t *testing.T) {
	e := testEngine(t)
	dir := t.TempDir()
	// An inherited listening socket, as fd@N.
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
	inherited.Close()
	srv := New(e, nil)
	t.Cleanup(srv.Close)
	unixPath := filepath.Join(dir, "admin.sock")
	cfg := Config{Sockets: []Socket{
		{Network: "unix", Addr: unixPath, FD: -1, Mode: 0o600, UID: -1, GID: -1, Level: LevelAdmin},
		{Network: "tcp4", Addr: "127.0.0.1:0", FD: -1, UID: -1, GID: -1, Level: LevelUser},
		{Network: "fd", FD: int(f.Fd()), UID: -1, GID: -1, Level: LevelOperator},
	}}
	if err := srv.Update(cfg); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(unixPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("unix socket mode: %v %v", fi, err)
	}
	var tcpAddr string
	for _, a := range srv.Addrs() {
		if a.Network() == "tcp" && a.String() != inheritedAddr {
			tcpAddr = a.String()
		}
	}
	for _, tc := range []struct {
		desc, network, addr, want string
	}{
		{"unix admin", "unix", unixPath, "admin\n\n"},
		{"ipv4 user", "tcp", tcpAddr, "user\n\n"},
		{"fd operator", "tcp", inheritedAddr, "operator\n\n"},
	} {
		if got := ask(t, tc.network, tc.addr, "show cli level"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
		}
	}
	// A reload keeps the sockets and applies the new level.
	cfg.Sockets[0].Level = LevelUser
	cfg.Sockets = cfg.Sockets[:2]
	if err := srv.Update(cfg); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, "unix", unixPath, "show cli level"); got != "user\n\n" {
		t.Errorf("after the update: %q", got)
	}
	if c, err := net.DialTimeout("tcp", inheritedAddr, time.Second); err == nil {
		c.Close()
		t.Error("the removed socket still accepts")
	}
	srv.Close()
	if _, err := os.Stat(unixPath); !os.IsNotExist(err) {
		t.Errorf("the unix socket outlives Close: %v", err)
	}
}

// TestIdleTimeout: `stats timeout` ends an idle interactive session.
func TestIdleTimeout(t *testing.T) {
	srv := New(testEngine(t), nil)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "s.sock")
	if err := srv.Update(Config{Timeout: 50 * time.Millisecond, Sockets: []Socket{{Network: "unix", Addr: path, FD: -1, UID: -1, GID: -1, Level: LevelAdmin}}}); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "prompt\n")
	// The prompt, then EOF once the session has been idle long enough.
	b, err := io.ReadAll(c)
	if string(b) != "\n> " || err != nil {
		t.Errorf("got %q, %v; want the prompt then EOF", b, err)
	}
}

func TestPayloadAndPipelining(t *testing.T) {
	srv := New(testEngine(t), nil)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "s.sock")
	if err := srv.Update(Config{Sockets: []Socket{{Network: "unix", Addr: path, FD: -1, UID: -1, GID: -1, Level: LevelAdmin}}}); err != nil {
		t.Fatal(err)
	}
	// Two lines sent at once are both answered (the reference reads
	// pipelined requests before closing).
	got := ask(t, "unix", path, "get weight be/s1\nset weight be/s1 2;get weight be/s1")
	if want := "1 (initial 1)\n\n\n2 (initial 1)\n\n"; got != want {
		t.Errorf("pipelined: %q, want %q", got, want)
	}
	if got := ask(t, "unix", path, "show cli level;quit;show cli level"); got != "admin\n\n" {
		t.Errorf("quit: %q", got)
	}
	if got := ask(t, "unix", path, "nope"); !strings.HasPrefix(got, "Unknown command, but maybe") {
		t.Errorf("unknown: %q", got)
	}
}

package proxy

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"fulcrum/proxy/internal/difftest"

	"golang.org/x/sys/unix"
)

// sockKeepAlive reads a connection's keep-alive settings back from the
// kernel: SO_KEEPALIVE, TCP_KEEPIDLE and TCP_KEEPINTVL (seconds), TCP_KEEPCNT.
func sockKeepAlive(t *testing.T, c *net.TCPConn) [4]int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got [4]int
	rc.Control(func(fd uintptr) {
		for i, o := range []struct{ level, opt int }{{unix.SOL_SOCKET, unix.SO_KEEPALIVE},
			{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}, {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL}, {unix.IPPROTO_TCP, unix.TCP_KEEPCNT}} {
			got[i], err = unix.GetsockoptInt(int(fd), o.level, o.opt)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The reference sets keep-alive only when asked (option clitcpka, srvtcpka
// or tcpka), with *tcpka-idle/-intvl in seconds unless a unit is given
// (checked with strace on 2.6: clitcpka-idle 30, clitcpka-intvl 2m and
// clitcpka-cnt 4 give TCP_KEEPIDLE 30, TCP_KEEPINTVL 120, TCP_KEEPCNT 4).
func TestTCPKeepAliveOptions(t *testing.T) {
	cfg, _ := adapt(t, `defaults
  mode tcp
  timeout client 1s
  timeout server 1s
  timeout connect 1s
listen plain
  bind 127.0.0.1:1
  server s 127.0.0.1:1
listen cli
  bind 127.0.0.1:1
  option clitcpka
  clitcpka-idle 30
  clitcpka-intvl 2m
  clitcpka-cnt 4
  server s 127.0.0.1:1
listen both
  bind 127.0.0.1:1
  option tcpka
  srvtcpka-idle 45s
  server s 127.0.0.1:1
`)
	for _, tc := range []struct {
		px       string
		cli, srv TCPKeepAlive
	}{
		{"plain", TCPKeepAlive{}, TCPKeepAlive{}},
		{"cli", TCPKeepAlive{On: true, Idle: 30 * time.Second, Interval: 2 * time.Minute, Count: 4}, TCPKeepAlive{}},
		{"both", TCPKeepAlive{On: true}, TCPKeepAlive{On: true, Idle: 45 * time.Second}},
	} {
		var fe *Frontend
		for _, f := range cfg.Frontends {
			if f.Name == tc.px {
				fe = f
			}
		}
		if fe == nil || fe.ClientKeepAlive != tc.cli || backendNamed(cfg, tc.px).ServerKeepAlive != tc.srv {
			t.Errorf("%s: client %+v server %+v; want %+v %+v", tc.px, fe.ClientKeepAlive, backendNamed(cfg, tc.px).ServerKeepAlive, tc.cli, tc.srv)
		}
	}

	// Applied to a socket, as the kernel then reports it.
	a, _ := loopbackPair(t)
	TCPKeepAlive{On: true, Idle: 30 * time.Second, Interval: 2 * time.Minute, Count: 4}.apply(a, false)
	if got := sockKeepAlive(t, a); got != [4]int{1, 30, 120, 4} {
		t.Errorf("keep-alive 30s/2m/4 = %v, want [1 30 120 4]", got)
	}
	b, _ := loopbackPair(t)
	before := sockKeepAlive(t, b)
	TCPKeepAlive{On: true}.apply(b, false)
	if got := sockKeepAlive(t, b); got != [4]int{1, before[1], before[2], before[3]} {
		t.Errorf("keep-alive without timings = %v, want on with the timings left as they were %v", got, before[1:])
	}
}

// Through the engine: with keep-alive only on the client side, the
// accepted connection runs the kernel's keep-alive timer and the one to
// the server does not (/proc/net/tcp: timer 2 is keep-alive).
func TestTCPKeepAliveEngine(t *testing.T) {
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fePort := difftest.FreePort(t)
	startText(t, fmt.Sprintf(`defaults
  mode tcp
  timeout client 10s
  timeout server 10s
  timeout connect 1s
listen ka
  bind 127.0.0.1:%d
  option clitcpka
  server s %s
`, fePort, srv.Addr()))
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", fePort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x"))
	s, err := srv.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Read(make([]byte, 1))
	srvPort := srv.Addr().(*net.TCPAddr).Port
	if got := keepAliveTimer(t, fePort, 0); got != 2 {
		t.Errorf("accepted connection: timer %d, want 2 (keep-alive)", got)
	}
	if got := keepAliveTimer(t, 0, srvPort); got != 0 {
		t.Errorf("server connection: timer %d, want 0 (no keep-alive by default)", got)
	}
}

// keepAliveTimer is the timer field of the established IPv4 socket with
// the given local (or, when 0, remote) port in /proc/net/tcp.
func keepAliveTimer(t *testing.T, local, remote int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skip("no /proc/net/tcp:", err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 6 || f[3] != "01" {
			continue
		}
		lp, _ := strconv.ParseUint(f[1][strings.IndexByte(f[1], ':')+1:], 16, 16)
		rp, _ := strconv.ParseUint(f[2][strings.IndexByte(f[2], ':')+1:], 16, 16)
		if (local != 0 && int(lp) == local) || (local == 0 && int(rp) == remote) {
			tr, _ := strconv.Atoi(f[5][:strings.IndexByte(f[5], ':')])
			return tr
		}
	}
	t.Fatalf("no established socket with local port %d / remote port %d", local, remote)
	return -1
}

// On a listening socket inherited from a master (a listener Go makes from
// a file turns keep-alive on by itself), accepted connections still get
// none unless configured.
func TestNoTCPKeepAliveOnInheritedListener(t *testing.T) {
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		for {
			c, err := srv.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open until the test ends
		}
	}()
	fePort := difftest.FreePort(t)
	cfg, _ := adapt(t, fmt.Sprintf(`defaults
  mode tcp
  timeout client 10s
  timeout server 10s
  timeout connect 1s
listen inh
  bind 127.0.0.1:%d
  server s %s
`, fePort, srv.Addr()))
	files, err := BindSockets(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	startEngineOpts(t, cfg, Options{Inherit: func(key string) net.Listener {
		if f := files[key]; f != nil {
			ln, _ := net.FileListener(f)
			return ln
		}
		return nil
	}})
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", fePort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 100 { // the accepted connection shows once the proxy has it
		if b, _ := os.ReadFile("/proc/net/tcp"); strings.Contains(string(b), fmt.Sprintf(":%04X ", fePort)) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if got := keepAliveTimer(t, fePort, 0); got != 0 {
		t.Errorf("connection accepted on an inherited listener: timer %d, want 0 (no keep-alive)", got)
	}
}

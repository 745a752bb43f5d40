package proxy

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"fulcrum/proxy/internal/difftest"
)

// clientSockopt reads an integer option of the engine's side of its one
// live client connection.
func clientSockopt(t *testing.T, e *Engine, level, opt int) int {
	t.Helper()
	e.liveMu.Lock()
	var c net.Conn
	for lc := range e.live {
		c = lc.cli
	}
	e.liveMu.Unlock()
	if c == nil {
		t.Fatal("no live client connection")
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// TestSetTOSAndMark: set-tos and set-mark (http-request, tcp-request
// connection) set the client connection's IP TOS and netfilter mark.
// Nothing outside the host shows either on loopback, so the test reads
// them back from the socket.
func TestSetTOSAndMark(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: set-mark needs CAP_NET_ADMIN (run as root)")
	}
	be := actBackend(t, "s1")
	for _, tc := range []struct {
		desc, mode, rules, send string
		tos, mark               int
	}{
		{"http-request", "http", "http-request set-tos 0x10\n\thttp-request set-mark 42 if { path /m }", get("/m"), 0x10, 42},
		{"http-request, condition false", "http", "http-request set-mark 42 if { path /m }", get("/other"), 0, 0},
		{"tcp-request connection", "tcp", "tcp-request connection set-tos 0x08\n\ttcp-request connection set-mark 0x7", get("/"), 0x08, 7},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg := fmt.Sprintf(`defaults
	mode %s
	timeout connect 1s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:%d
	%s
	server s1 %s
`, tc.mode, difftest.FreePort(t), tc.rules, be)
			e, _ := startOurs(t, cfg, plainLine)
			c, err := net.Dial("tcp", feAddr(e, "fe"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			c.Write([]byte(tc.send))
			if _, err := readRawResponse(bufio.NewReader(c)); err != nil {
				t.Fatal(err)
			}
			if got := clientSockopt(t, e, unix.IPPROTO_IP, unix.IP_TOS); got != tc.tos {
				t.Errorf("IP_TOS %#x, want %#x", got, tc.tos)
			}
			if got := clientSockopt(t, e, unix.SOL_SOCKET, unix.SO_MARK); got != tc.mark {
				t.Errorf("SO_MARK %d, want %d", got, tc.mark)
			}
		})
	}
}

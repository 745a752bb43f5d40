package proxy

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/proxy/internal/difftest"
)

// namedListen is one listen section of a configuration that runs many
// cases side by side, each on its own port.
type namedListen struct{ name, lines string }

// listenConfig is a defaults section's body followed by one listen
// section per case, on the case's port.
func listenConfig(defaults string, cases []namedListen, ports []int) string {
	var b strings.Builder
	b.WriteString("defaults\n" + defaults)
	for i, c := range cases {
		fmt.Fprintf(&b, "listen %s\n\tbind 127.0.0.1:%d\n\t%s\n", c.name, ports[i], c.lines)
	}
	return b.String()
}

// portPairs returns n free ports for the reference and n for ours.
func portPairs(t *testing.T, n int) (ref, ours []int) {
	ref, ours = make([]int, n), make([]int, n)
	for i := range n {
		ref[i], ours[i] = difftest.FreePort(t), difftest.FreePort(t)
	}
	return ref, ours
}

// sendRaw dials addr and writes req, the connection's deadline 5 seconds
// away; the test closes what it returns.
func sendRaw(t *testing.T, addr, req string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c
}

package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestClosingExchangesMatchReference: when a connection closes after
// its exchange, the segments are the reference's: the client gets the
// answer, then the FIN, and a server connection that will not be reused
// (http-server-close, httpclose) is dropped with a reset. The test counts
// the segments the client received (TCP_INFO) and what the server read
// after answering.
func TestClosingExchangesMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	got := make(chan string, 16)
	srv := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4096)
		c.Read(buf)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err := c.Read(buf)
		switch {
		case errors.Is(err, syscall.ECONNRESET):
			got <- "reset"
		case err == io.EOF:
			got <- "closed"
		default:
			got <- "open"
		}
	}).Addr().String()
	cases := []namedListen{
		{"keepalive", "server s " + srv},
		{"serverclose", "option http-server-close\n\tserver s " + srv},
		{"httpclose", "option httpclose\n\tserver s " + srv},
	}
	config := func(ports []int) string {
		return listenConfig("\tmode http\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n", cases, ports)
	}
	play := func(addr string) string {
		c := sendRaw(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		defer c.Close()
		io.ReadAll(c)
		segs := segmentsIn(t, c)
		return fmt.Sprintf("client got %d segments, server saw %s", segs, <-got)
	}
	refPorts, ourPorts := portPairs(t, len(cases))
	difftest.StartReferenceConfig(t, bin, config(refPorts))
	startOurs(t, config(ourPorts), plainLine)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := play(fmt.Sprintf("127.0.0.1:%d", refPorts[i]))
			ours := play(fmt.Sprintf("127.0.0.1:%d", ourPorts[i]))
			if ref != ours {
				t.Errorf("ref:  %s\nours: %s", ref, ours)
			}
			t.Log(strings.TrimSpace(ref))
		})
	}
}

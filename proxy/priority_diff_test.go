package proxy

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestQueuePriorityMatchesReference: requests queued behind a full
// server are served by set-priority-class, then arrival plus
// set-priority-offset, as the reference serves them.
func TestQueuePriorityMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	cfg := func(port int, be string) string {
		return fmt.Sprintf(`defaults
	mode http
	timeout connect 1s
	timeout client 10s
	timeout server 10s
	timeout queue 10s
listen fe
	bind 127.0.0.1:%d
	http-request set-priority-class req.hdr(class) if { req.hdr(class) -m found }
	http-request set-priority-offset req.hdr(offset) if { req.hdr(offset) -m found }
	server s1 %s maxconn 1
`, port, be)
	}
	// The first request holds the server; the others queue in this order.
	queued := []string{"/a class:5", "/b class:-3", "/c", "/d class:-3", "/e offset:-2000", "/f offset:3000", "/g class:9999"}
	play := func(addr string, be *heldBackend) []string {
		dial := func(path string, hdrs ...string) net.Conn {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n"+strings.Join(append(hdrs, ""), "\r\n")+"\r\n")
			return c
		}
		first := dial("/first")
		defer first.Close()
		got := []string{<-be.got}
		for _, q := range queued {
			path, hdr, _ := strings.Cut(q, " ")
			var hdrs []string
			if hdr != "" {
				hdrs = append(hdrs, hdr)
			}
			c := dial(path, hdrs...)
			defer c.Close()
			// Each joins the queue before the next one comes.
			time.Sleep(100 * time.Millisecond)
		}
		close(be.release)
		for range queued {
			got = append(got, <-be.got)
		}
		return got
	}
	refBE := newHeldBackend(t)
	port := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, cfg(port, refBE.addr))
	ref := play(fmt.Sprintf("127.0.0.1:%d", port), refBE)
	ourBE := newHeldBackend(t)
	e, _ := startOurs(t, cfg(difftest.FreePort(t), ourBE.addr), plainLine)
	ours := play(feAddr(e, "fe"), ourBE)
	if strings.Join(ref, "\n") != strings.Join(ours, "\n") {
		t.Errorf("the server got, in order:\nref\n%s\nours\n%s", strings.Join(ref, "\n"), strings.Join(ours, "\n"))
	}
	t.Logf("order: %s", strings.Join(ref, ", "))
}

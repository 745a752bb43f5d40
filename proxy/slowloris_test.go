package proxy

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// slowlorisConfig bounds the request head by timeout http-request, far
// below the client timeout the trickle keeps resetting.
const slowlorisConfig = `defaults
	mode http
	timeout connect 1s
	timeout client 30s
	timeout server 5s
	timeout http-request 500ms
frontend fe
	bind 127.0.0.1:%d
	default_backend be
backend be
	server s1 %s
`

// TestSlowloris: clients that trickle header lines forever, each line well
// within the client timeout, are cut by timeout http-request with a 408
// while a normal client is still served, on ours as on the reference. A
// proxy that treated the head timeout as an idle timeout would keep every
// trickler until the test's own bound and fail.
func TestSlowloris(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, side := range []string{"reference", "ours"} {
		t.Run(side, func(t *testing.T) {
			be := startHTTPBackend(t, "s1")
			port := difftest.FreePort(t)
			body := fmt.Sprintf(slowlorisConfig, port, be.addr())
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			if side == "reference" {
				difftest.StartReferenceConfig(t, bin, body)
			} else {
				e := startText(t, body)
				addr = feAddr(e, "fe")
			}
			const tricklers = 20
			results := make([]string, tricklers)
			var wg sync.WaitGroup
			for i := range tricklers {
				wg.Add(1)
				go func() { defer wg.Done(); results[i] = trickle(addr) }()
			}
			// A normal client is served while the tricklers hold their
			// connections.
			time.Sleep(100 * time.Millisecond)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			got, _ := io.ReadAll(c)
			c.Close()
			if !strings.HasPrefix(string(got), "HTTP/1.1 200") {
				t.Errorf("normal client during the attack got %q", got)
			}
			wg.Wait()
			for i, r := range results {
				if r != "408" {
					t.Errorf("trickler %d: %s", i, r)
				}
			}
		})
	}
}

// trickle sends a request head one header line every 50ms, never ending
// it, for at most 10 seconds, and returns the status the proxy answered
// before closing, or what happened instead.
func trickle(addr string) string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	answer := make(chan string, 1)
	go func() {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		switch {
		case len(got) >= 12 && strings.HasPrefix(string(got), "HTTP/1."):
			answer <- string(got[9:12])
		case err != nil:
			answer <- "no answer: " + err.Error()
		default:
			answer <- fmt.Sprintf("closed with %q", got)
		}
	}()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case a := <-answer:
			return a
		case <-tick.C:
			// A failed write means the proxy closed: its answer follows.
			fmt.Fprintf(c, "X-Slow-%d: x\r\n", i)
		}
	}
}

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// ringConfig sends the global log (connections) and a frontend's access
// lines to rings of every format, one of them small enough to lose its
// oldest lines, one with a maxlen shorter than the lines.
const ringConfig = `global
    stats socket "${DIR}/admin.sock" level admin
    log ring@rfc3164 local2 info
    log ring@rfc5424 local2 info
    log ring@short local2 info
    log ring@iso local2 info
    log ring@timed local2 info
    log ring@priority local2 info
ring rfc3164
    description "the classic one"
    format rfc3164
    maxlen 60
ring rfc5424
    format rfc5424
ring short
    format short
ring iso
    format iso
ring timed
    format timed
ring priority
    format priority
ring raw
    maxlen 1000
    size 16384
ring unused
    description unused ring
` + ringFrontend + `    log ring@raw len 90 format rfc5424 local1
    log-format "%r 0123456789012345678901234567890123456789012345678901234567890123456789"
    http-request return status 200
`

// ringFrontend is the HTTP frontend the ring tests log from.
const ringFrontend = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    log global
`

// maskRing hides what differs from run to run: times and pids.
var maskRing = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[-+]\d\d:\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|haproxy\[\d+\]|haproxy \d+ |:\d{4,5}\b`)

func ringRequests(t *testing.T, front string, n int) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	for i := range n {
		resp, err := c.Get(fmt.Sprintf("http://%s/request-%03d", front, i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	c.CloseIdleConnections()
}

// TestRingsMatchReference sends the same requests to ours and the
// reference and compares `show events` and every ring's lines.
func TestRingsMatchReference(t *testing.T) {
	const requests = 250 // over 16384 bytes of raw lines: the oldest leave
	outs := map[string][]string{}
	binaries(t, func(t *testing.T, bin string) {
		r := startAPIConfig(t, bin, ringConfig, nil)
		ringRequests(t, r.front, requests)
		waitFor(t, "the last access line", func() bool {
			return strings.Contains(r.cmd(t, "admin", "show events raw"), fmt.Sprintf("/request-%03d ", requests-1))
		})
		var got []string
		for _, c := range []string{"show events", "show events rfc3164", "show events rfc5424", "show events short",
			"show events iso", "show events timed", "show events priority", "show events raw", "show events unused",
			"show events nope", "show events buf0", "show events raw -n", "show events raw -x", "user; show events raw", "user; show events", "operator; show events iso"} {
			got = append(got, "== "+c+"\n"+maskRing.ReplaceAllString(r.cmd(t, "admin", c), "X"))
		}
		outs[t.Name()] = got
	})
	ours, ref := outs["TestRingsMatchReference/ours"], outs["TestRingsMatchReference/reference"]
	if ref == nil || len(ours) != len(ref) {
		t.Skip("no run of both")
	}
	for i := range ref {
		if ours[i] != ref[i] {
			t.Errorf("%.40s differs from the reference:\n%s\nours %q\nref  %q", ref[i], lineDiff(ours[i], ref[i]), ours[i], ref[i])
		}
	}
	if !strings.Contains(ours[7], "/request-249 ") || strings.Contains(ours[7], "/request-000 ") {
		t.Errorf("the raw ring should have kept only its newest lines:\n%.300s", ours[7])
	}
}

// TestRingsFollow reads a ring with -w -n: only the lines written after
// the command come, until the client sends a key.
func TestRingsFollow(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		r := startAPIConfig(t, bin, ringConfig, nil)
		ringRequests(t, r.front, 1)
		c, err := net.DialTimeout("unix", filepath.Join(r.dir, "admin.sock"), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "show events raw -w -n\n")
		time.Sleep(200 * time.Millisecond) // let the command start before the request
		ringRequests(t, r.front, 1)
		rd := bufio.NewReader(c)
		line, err := rd.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "GET /request-000 HTTP/1.1 0123") {
			t.Fatalf("followed line %q (%v), want the new request's", line, err)
		}
		io.WriteString(c, "x")
		_ = c.(*net.UnixConn).CloseWrite()
		time.Sleep(200 * time.Millisecond)
		ringRequests(t, r.front, 1)
		// The reference notices the key at the next line, prints it,
		// ends the answer and closes.
		rest, _ := io.ReadAll(rd)
		if !strings.HasPrefix(string(rest), "GET /request-000 HTTP/1.1 0123") || !strings.HasSuffix(string(rest), "123\n\n") {
			t.Errorf("after the key: %q, want the next line and the end", rest)
		}
	})
}

// syslogCollector accepts TCP connections and keeps what they send.
type syslogCollector struct {
	ln  net.Listener
	mu  sync.Mutex
	got []byte
}

func startCollector(t *testing.T) *syslogCollector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &syslogCollector{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				for {
					n, err := conn.Read(buf)
					c.mu.Lock()
					c.got = append(c.got, buf[:n]...)
					c.mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return c
}

func (c *syslogCollector) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.got)
}

const forwardConfig = `global
    stats socket "${DIR}/admin.sock" level admin
    log ring@legacy local2 info
    log ring@octet local2 info
ring legacy
    format rfc3164
    timeout connect 1s
    timeout server 10s
    server s1 "${S1}"
ring octet
    format rfc5424
    maxlen 90
    timeout connect 1s
    timeout server 10s
    server s2 "${S2}" log-proto octet-count
` + ringFrontend + `    http-request return status 200
`

// TestRingsForwardMatchReference compares what syslog servers behind a
// ring's `server` lines receive from ours and from the reference: lines
// with an LF (legacy) or with their length first (octet-count).
func TestRingsForwardMatchReference(t *testing.T) {
	got := map[string][2]string{}
	binaries(t, func(t *testing.T, bin string) {
		legacy, octet := startCollector(t), startCollector(t)
		config := strings.NewReplacer("${S1}", legacy.ln.Addr().String(), "${S2}", octet.ln.Addr().String()).Replace(forwardConfig)
		r := startAPIConfig(t, bin, config, nil)
		ringRequests(t, r.front, 3)
		waitFor(t, "the forwarded lines", func() bool {
			return strings.Count(legacy.String(), "Connect from") == 3 && strings.Count(octet.String(), "<150>1 ") == 3
		})
		got[t.Name()] = [2]string{maskRing.ReplaceAllString(legacy.String(), "X"), maskRing.ReplaceAllString(octet.String(), "X")}
	})
	ours, ref := got["TestRingsForwardMatchReference/ours"], got["TestRingsForwardMatchReference/reference"]
	if ref[0] == "" || ours[0] == "" {
		t.Skip("no run of both")
	}
	for i := range ref {
		if ours[i] != ref[i] {
			t.Errorf("server %d received other bytes than from the reference:\nours %q\nref  %q", i+1, ours[i], ref[i])
		}
	}
}

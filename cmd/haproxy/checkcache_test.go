package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// A response option checkcache refuses is reported on the terminal as an
// [ALERT] and to the backend's log targets at syslog level alert (not
// emerg, as the other alerts), before its access line; same for ours and
// the reference.
func TestCheckcacheAlertMatchesReference(t *testing.T) {
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
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				c.Read(buf)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\nETag: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			}()
		}
	}()
	run := func(bin string) (syslog []string, terminal string) {
		udp, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer udp.Close()
		port := freePort(t)
		cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
listen app
  log %s local0
  log-format "%%ST %%ts %%b/%%s"
  option checkcache
  bind 127.0.0.1:%s
  server s1 %s
`, udp.LocalAddr(), port, srv.Addr())), 0o644)
		p := startBin(t, bin, nil, "-db", "-f", cfg)
		var answer string
		waitFor(t, "an answer", func() bool {
			c, err := net.Dial("tcp", "127.0.0.1:"+port)
			if err != nil {
				return false
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			b, _ := io.ReadAll(c)
			answer = string(b)
			return true
		})
		if !strings.HasPrefix(answer, "HTTP/1.1 200 OK\r\ncontent-length: 58\r\n") {
			t.Errorf("%s answered %q", bin, answer)
		}
		buf := make([]byte, 4096)
		for len(syslog) < 2 {
			udp.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _, err := udp.ReadFrom(buf)
			if err != nil {
				break
			}
			// <PRI> and the message, without the date and pid.
			syslog = append(syslog, regexp.MustCompile(`^(<\d+>).*?\]: `).ReplaceAllString(string(buf[:n]), "$1"))
		}
		waitFor(t, "the alert on the terminal", func() bool { return strings.Contains(p.out.String(), "Blocking") })
		terminal = regexp.MustCompile(`(?m)^\[ALERT\] +\(\d+\) : Blocking.*$`).FindString(p.out.String())
		return syslog, regexp.MustCompile(`\(\d+\)`).ReplaceAllString(terminal, "(PID)")
	}
	wantLog, wantTerm := run(reftest.HAProxy(t))
	gotLog, gotTerm := run(reftest.Ours(t, "haproxy"))
	if len(wantLog) != 2 || wantTerm == "" {
		t.Fatalf("the reference logged %q and showed %q: expected an alert and an access line", wantLog, wantTerm)
	}
	if strings.Join(gotLog, "\n") != strings.Join(wantLog, "\n") {
		t.Errorf("syslog messages differ\nours:\n%q\nreference:\n%q", gotLog, wantLog)
	}
	if gotTerm != wantTerm {
		t.Errorf("terminal alert differs\nours:      %q\nreference: %q", gotTerm, wantTerm)
	}
}

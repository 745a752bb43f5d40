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

	"fulcrum/internal/reftest"
)

// TestDaemonLogFormat: log-format and log-format-sd reach an RFC 5424
// target, a normal connection at level info (<134>) and a refused one at
// err (<131>, option log-separate-errors), ours as the reference.
func TestDaemonLogFormat(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		s := startIDServer(t, "s1")
		port, port2 := freePort(t), freePort(t)
		dead := "127.0.0.1:" + freePort(t)
		p := startBin(t, bin, []string{"FE_PORT=" + port, "FE_PORT2=" + port2, "S1=" + s.addr(), "DEAD=" + dead},
			"-db", "-f", configCopy(t, "logformat.cfg"))
		front := "127.0.0.1:" + port
		waitFor(t, "the listener", func() bool { _, err := ask(front); return err == nil })
		if c, err := net.Dial("tcp", "127.0.0.1:"+port2); err == nil {
			c.Close()
		}
		normal := regexp.MustCompile(`(?m)^<134>1 \S+ - haproxy \d+ - \[ex@1 f="app"\] 127\.0\.0\.1 app app/s1 0 -- "app" 127\.0\.0\.0$`)
		refused := regexp.MustCompile(`(?m)^<131>1 \S+ - haproxy \d+ - \[ex@1 f="gone"\] 127\.0\.0\.1 gone gone/s9 0 [CS]C "gone" 127\.0\.0\.0$`)
		waitFor(t, "both access lines", func() bool {
			out := p.out.String()
			return normal.MatchString(out) && refused.MatchString(out)
		})
	})
}

// TestCheckLogFormat: `-c` refuses the log formats the reference refuses,
// with its messages and exit code, and accepts the others.
func TestCheckLogFormat(t *testing.T) {
	ref, ours := reftest.HAProxy(t), reftest.Ours(t, "haproxy")
	for _, tc := range []struct{ desc, mode, lines string }{
		{"unknown variable", "http", `log-format "%ci %zz"`},
		{"http variable in tcp", "tcp", `log-format "%ci %r"`},
		{"unterminated flags", "http", `log-format "%{+Q"`},
		{"unknown fetch", "tcp", `log-format "%[nosuch] x"`},
		{"header fetch", "http", `log-format "%[req.hdr(host)]"`},
		{"bad unique-id", "http", `unique-id-format %zz`},
		{"valid, every option", "http", "option httplog clf\n\tcapture request header Host len 10\n\tunique-id-format %{+X}o\\ %ci:%cp\n\tunique-id-header X-ID\n\tlog-format-sd \"[a@1 f=%f]\""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.cfg")
			text := "global\n\tlog stdout local0\ndefaults\n\tmode " + tc.mode + "\n\ttimeout client 1s\n\ttimeout server 1s\n\ttimeout connect 1s\n" +
				"frontend fe\n\tlog global\n\tbind 127.0.0.1:9\n\t" + tc.lines + "\n\tdefault_backend be\nbackend be\n\tserver s 127.0.0.1:1\n"
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			r := reftest.Run(t, ref, reftest.Options{Isolate: true}, "-c", "-f", path)
			o := reftest.Run(t, ours, reftest.Options{Isolate: true}, "-c", "-f", path)
			if r.Exit != o.Exit || reftest.Normalize(r.Stderr) != reftest.Normalize(o.Stderr) || r.Stdout != o.Stdout {
				t.Errorf("reference: exit %d\n%s%s\nours: exit %d\n%s%s", r.Exit, r.Stdout, r.Stderr, o.Exit, o.Stdout, o.Stderr)
			}
		})
	}
}

// TestDaemonLogLineLength: a target's `len` cuts the line (header
// included) to len-1 bytes, and the default of 1024 applies without it;
// an RFC 3164 stdout line names the host "localhost". Ours as the
// reference.
func TestDaemonLogLineLength(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		s := startIDServer(t, "s1")
		port := freePort(t)
		p := startBin(t, bin, []string{"FE_PORT=" + port, "S1=" + s.addr()}, "-db", "-f", configCopy(t, "loglen.cfg"))
		front := "127.0.0.1:" + port
		waitFor(t, "the listener", func() bool {
			c, err := net.Dial("tcp", front) // closed before a request: no line
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		c, err := net.Dial("tcp", front)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /%s HTTP/1.1\r\nHost: a\r\n\r\n", strings.Repeat("a", 3000))
		io.Copy(io.Discard, c)
		c.Close()
		short := regexp.MustCompile(`(?m)^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d localhost haproxy\[\d+\]: 127\.0\.0\.1:\d+ \[.*a$`)
		long := regexp.MustCompile(`(?m)^127\.0\.0\.1:\d+ \[.* "GET /aaaa.*a$`)
		var cut, full string
		waitFor(t, "both lines", func() bool {
			out := p.out.String()
			cut, full = short.FindString(out), long.FindString(out)
			return cut != "" && full != ""
		})
		if len(cut) != 199 || len(full) != 1023 {
			t.Errorf("lines of %d and %d bytes, want 199 and 1023:\n%s\n%s", len(cut), len(full), cut, full)
		}
	})
}

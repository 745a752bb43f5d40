package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// logHeaderMask hides what differs between two runs in a syslog line:
// the dates, the PID and the client's port.
var logHeaderMask = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\w{3} [ \d]\d \d\d:\d\d:\d\d`), "DATE"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+`), "ISODATE"}, // the zone offset stays
	{regexp.MustCompile(`haproxy\[\d+\]`), "haproxy[PID]"},
	{regexp.MustCompile(`haproxy \d+ `), "haproxy PID "},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
}

// TestLogSendHostnameMatchesReference: the syslog header names the host
// as the reference's does, with and without log-send-hostname (with or
// without a name), for RFC 3164 (named or by default), RFC 5424 and the
// formats that carry no host, on UDP targets and on stdout; the other
// formats' headers (short, iso, timed) and their local dates match too.
func TestLogSendHostnameMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	formats := []string{"", "format rfc3164", "format rfc5424", "format short", "format iso", "format timed"}
	for _, tc := range []struct{ desc, line string }{
		{"without", ""},
		{"system name", "log-send-hostname"},
		{"given name", "log-send-hostname edge-7"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			run := func(bin string) string {
				var logs strings.Builder
				var socks []net.PacketConn
				for _, f := range formats {
					udp, err := net.ListenPacket("udp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					defer udp.Close()
					socks = append(socks, udp)
					fmt.Fprintf(&logs, "\tlog %s %s local0\n", udp.LocalAddr(), f)
				}
				port := freePort(t)
				path := filepath.Join(dir, "h.cfg")
				cfg := fmt.Sprintf("global\n\t%s\n%s\tlog stdout format rfc3164 local0\n\tlog stdout local1\n"+
					"defaults\n\tmode http\n\tlog global\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
					"listen a\n\tbind 127.0.0.1:%s\n\thttp-request return status 200\n", tc.line, logs.String(), port)
				if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
					t.Fatal(err)
				}
				// Away from UTC, the ISO dates show whether they are local.
				p := startBin(t, bin, []string{"TZ=Asia/Tokyo"}, "-db", "-f", path)
				waitFor(t, "an answer", func() bool { _, err := getBody("127.0.0.1:" + port); return err == nil })
				var got []string
				buf := make([]byte, 4096)
				for i, udp := range socks {
					udp.SetReadDeadline(time.Now().Add(3 * time.Second))
					n, _, err := udp.ReadFrom(buf)
					if err != nil {
						t.Fatalf("%s: no datagram for %q: %v", bin, formats[i], err)
					}
					got = append(got, fmt.Sprintf("%q: %q", formats[i], buf[:n]))
				}
				waitFor(t, "the stdout lines", func() bool { return strings.Count(p.out.String(), "Connect from") >= 2 })
				p.signal(t, 15)
				var stdout []string
				for _, l := range strings.Split(p.out.String(), "\n") {
					if strings.Contains(l, "Connect from") {
						stdout = append(stdout, "stdout: "+l)
					}
				}
				sort.Strings(stdout)
				out := strings.Join(append(got, stdout...), "\n")
				for _, m := range logHeaderMask {
					out = m.re.ReplaceAllString(out, m.with)
				}
				return out
			}
			refOut, ourOut := run(ref), run(ours)
			if refOut != ourOut {
				t.Errorf("log lines:\nref\n%s\nours\n%s", refOut, ourOut)
			}
		})
	}
}

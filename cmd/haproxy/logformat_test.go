package main

import (
	"net"
	"regexp"
	"testing"
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

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

// TestLogSendFailureMatchesReference: a log target that cannot be sent
// to (a unix socket path in a missing directory, a path that is no
// socket) gives the reference's alert naming the logger's place in the
// list the line went to and the system's error, once per process, while
// the lines keep going to the other targets.
func TestLogSendFailureMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	dir := t.TempDir()
	notSock := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(notSock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nodir", "log.sock")
	for _, tc := range []struct{ desc, global, proxy string }{
		{"missing socket, global list", "\tlog " + missing + " local0\n\tlog stdout format raw local0\n", "\tlog global\n"},
		{"path that is no socket", "\tlog " + notSock + " local0\n\tlog stdout format raw local0\n", "\tlog global\n"},
		{"second of a proxy's own list", "\tlog " + missing + " local0\n",
			"\tlog 127.0.0.1:" + freePort(t) + " local1\n\tlog " + missing + " local0\n\tlog stdout format raw local0\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			srv := startIDServer(t, "s1")
			run := func(bin string) string {
				port := freePort(t)
				cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
				text := "global\n" + tc.global + "defaults\n\tmode tcp\n\toption tcplog\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\n" +
					"listen a\n\tbind 127.0.0.1:" + port + "\n" + tc.proxy + "\tserver s1 " + srv.addr() + "\n"
				if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				p := startBin(t, bin, nil, "-db", "-f", cfg)
				const conns = 3
				for i := range conns {
					waitFor(t, "an answer through the proxy", func() bool {
						got, err := ask("127.0.0.1:" + port)
						return err == nil && got == "s1"
					})
					// Each line is out (on stdout) before the next.
					waitFor(t, fmt.Sprintf("%d log lines", i+1), func() bool {
						return strings.Count(p.out.String(), " a a/s1 ") >= i+1
					})
				}
				var alerts []string
				for _, l := range strings.Split(p.out.String(), "\n") {
					if strings.Contains(l, "sendmsg") {
						alerts = append(alerts, regexp.MustCompile(`\(\d+\) :`).ReplaceAllString(l, "(P) :"))
					}
				}
				return strings.Join(alerts, "\n")
			}
			want, got := run(ref), run(ours)
			if want == "" {
				t.Fatal("the reference gave no alert: the scenario is not what it means to test")
			}
			if got != want {
				t.Errorf("alerts differ\nours:\n%s\nreference:\n%s", got, want)
			}
		})
	}
}

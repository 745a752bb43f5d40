package main

import (
	"os"
	"path/filepath"
	"testing"

	"fulcrum/internal/reftest"
)

// TestPeersCheckMatchesReference: `haproxy -c -L local` on peers
// configurations, good and bad, prints what the reference prints and
// exits the same way.
func TestPeersCheckMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	const head = "defaults\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\npeers mypeers\n  peer local 127.0.0.1:29999\n  peer other 127.0.0.1:29998\n"
	for _, tc := range []struct{ desc, cfg string }{
		{desc: "good table", cfg: head + "  table t1 type string len 4 size 10 expire 1m nopurge store gpc0,http_req_rate(10s)\n"},
		{desc: "shards (2.8)", cfg: head + "  table t1 type ip size 10 shards 2\n"},
		{desc: "unknown type", cfg: head + "  table t1 type foo size 10\n"},
		{desc: "missing size", cfg: head + "  table t1 type ip\n"},
		{desc: "missing type", cfg: head + "  table t1 size 10\n"},
		{desc: "peers in a peers table", cfg: head + "  table t1 type ip size 10 peers mypeers\n"},
		{desc: "bad size", cfg: head + "  table t1 type ip size 1x\n"},
		{desc: "bad store", cfg: head + "  table t1 type ip size 10 store gpc0,foo\n"},
		{desc: "stick-table with known peers", cfg: head + "backend be\n  stick-table type ip size 10 peers mypeers\n"},
		{desc: "stick-table with unknown peers", cfg: head + "backend be\n  stick-table type ip size 10 peers nope\n"},
		{desc: "stick-table with disabled peers", cfg: head + "peers off\n  disabled\n  peer local 127.0.0.1:29997\nbackend be\n  stick-table type ip size 10 peers off\n"},
		{desc: "no local peer", cfg: "peers p2\n  peer x 127.0.0.1:29996\n"},
		{desc: "ssl peers", cfg: "peers p\n  peer local 127.0.0.1:29999\n  peer o 127.0.0.1:29994 ssl\n  peer p 127.0.0.1:29993 ssl verify none\n  peer q 127.0.0.1:29992 ssl\n"},
		{desc: "ssl on the local peer", cfg: "peers p\n  peer local 127.0.0.1:29999 ssl\n"},
		{desc: "ssl in a removed section", cfg: "peers p\n  peer local 127.0.0.1:29999\npeers x\n  peer y 127.0.0.1:29994 ssl\n"},
		{desc: "ssl without verification", cfg: "global\n  ssl-server-verify none\npeers p\n  peer local 127.0.0.1:29999 ssl\n  peer o 127.0.0.1:29994 ssl\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "haproxy.cfg")
			if err := os.WriteFile(path, []byte(tc.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(bin string) (int, string) {
				r := reftest.Run(t, bin, reftest.Options{Isolate: true}, "-c", "-L", "local", "-f", path)
				return r.Exit, reftest.Normalize(r.Stdout + r.Stderr)
			}
			rc, rout := run(ref)
			oc, oout := run(ours)
			if rc != oc || rout != oout {
				t.Errorf("reference (exit %d):\n%s\nours (exit %d):\n%s", rc, rout, oc, oout)
			}
		})
	}
}

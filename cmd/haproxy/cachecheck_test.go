package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"fulcrum/internal/reftest"
)

// traceLine is what the reference's trace filter prints when it stops.
var traceLine = regexp.MustCompile(`(?m)^.*filter deinitialized\n`)

// TestCacheCheckMatchesReference: `haproxy -c` on cache sections and the
// rules and filters that name them, good and bad, prints what the
// reference prints and exits the same way.
func TestCacheCheckMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	const uses = "  http-request cache-use c1\n  http-response cache-store c1\n"
	const size = "cache c1\n  total-max-size 4\n"
	for _, tc := range []struct{ desc, cache, rules string }{
		{"good", size + "  max-object-size 100\n  max-age 10\n  process-vary on\n  max-secondary-entries 3\n", uses},
		{"bad size", "cache c1\n  total-max-size x\n", uses},
		{"size too big", "cache c1\n  total-max-size 4096\n", uses},
		{"negative size", "cache c1\n  total-max-size -1\n", uses},
		{"no size", "cache c1\n  max-age 5\n", uses},
		{"zero size", "cache c1\n  total-max-size 0\n", uses},
		{"objects over half", size + "  max-object-size 3000000\n", uses},
		{"objects at half", size + "  max-object-size 2097152\n", uses},
		{"bad object size", size + "  max-object-size 12k\n", uses},
		{"bad max-age", size + "  max-age x\n", uses},
		{"bad process-vary", size + "  process-vary maybe\n", uses},
		{"zero secondary entries", size + "  max-secondary-entries 0\n", uses},
		{"bad secondary entries", size + "  max-secondary-entries 3x\n", uses},
		{"duplicate", size + size, uses},
		{"duplicate of a refused one", "cache c1\n" + size, uses},
		{"no name", "cache\n  total-max-size 4\n", uses},
		{"extra name", "cache c1 extra\n  total-max-size 4\n", uses},
		{"extra value", size + "  total-max-size 4 5\n", uses},
		{"unknown keyword", size + "  foo 1\n", uses},
		{"long name", "cache c1234567890123456789012345678901234\n  total-max-size 4\n", uses},
		{"unknown cache", size, "  http-request cache-use nope\n"},
		{"no cache name", size, "  http-request cache-use\n"},
		{"conditions", size, "  http-request cache-use c1 if TRUE\n  http-response cache-store c1 if { status 200 }\n"},
		{"compression first", size, "  filter compression\n  http-request cache-use c1\n"},
		{"compression after", size, "  http-request cache-use c1\n  filter compression\n"},
		{"explicit before compression", size, "  filter cache c1\n  filter compression\n  http-request cache-use c1\n"},
		{"explicit unknown", size, "  filter cache nope\n"},
		{"explicit after compression", size, "  filter compression\n  filter cache c1\n  http-request cache-use c1\n"},
		{"explicit after compression with settings", size, "  compression algo gzip\n  filter compression\n  filter cache c1\n  http-request cache-use c1\n"},
		{"implicit after compression with settings", size, "  compression algo gzip\n  filter compression\n  http-request cache-use c1\n"},
		{"explicit with trace", size, "  filter trace\n  filter cache c1\n  http-response cache-store c1\n"},
		{"implicit with trace", size, "  filter trace\n  http-response cache-store c1\n"},
		{"twice explicit", size, "  filter cache c1\n  filter cache c1\n"},
		{"two caches", size + "cache c2\n  total-max-size 4\n", "  http-request cache-use c1\n  http-request cache-use c2\n"},
		// An unknown action gets the reference's suggestion.
		{"cache-use in responses", size, "  http-response cache-use c1\n"},
		{"cache-store in requests", size, "  http-request cache-store c1\n"},
		{"misspelt cache-use", size, "  http-request cache-usee c1\n"},
		{"misspelt prefix action", size, "  http-request set-va(x) int(1)\n"},
		{"misspelt tcp action", size, "  tcp-request content rejct\n"},
		{"misspelt track-sc", size, "  tcp-request connection trak-sc0 src\n"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cfg := "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n" + tc.cache +
				"listen fe\n  bind 127.0.0.1:8\n" + tc.rules + "  server s1 127.0.0.1:9\n"
			path := filepath.Join(t.TempDir(), "haproxy.cfg")
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(bin string) (int, string) {
				r := reftest.Run(t, bin, reftest.Options{Isolate: true}, "-c", "-f", path)
				// The trace filter says goodbye on its own.
				out := traceLine.ReplaceAllString(r.Stdout+r.Stderr, "")
				return r.Exit, reftest.Normalize(out)
			}
			rc, rout := run(ref)
			oc, oout := run(ours)
			if rc != oc || rout != oout {
				t.Errorf("reference (exit %d):\n%s\nours (exit %d):\n%s", rc, rout, oc, oout)
			}
		})
	}
}

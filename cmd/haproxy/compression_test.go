package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"fulcrum/internal/reftest"
)

// TestCompressionCheckMatchesReference: `haproxy -c` prints the same
// diagnostics and exits the same as the reference for the compression
// keywords: bad arguments, offload in defaults, `filter compression`'s
// own rules and those of proxies that declare their filters.
func TestCompressionCheckMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	for _, tc := range []struct{ desc, defaults, frontend string }{
		{"algos and types", "", "compression algo gzip deflate raw-deflate identity\n    compression type text/html text/plain"},
		{"no algorithm", "", "compression algo"},
		{"unknown algorithm", "", "compression algo gzip br"},
		{"no type", "", "compression type"},
		{"unknown word", "", "compression level 9"},
		{"nothing", "", "compression"},
		{"offload in defaults", "compression offload", ""},
		{"offload in frontend", "", "compression offload"},
		{"filter compression", "", "filter compression\n    compression algo gzip"},
		{"filter with an argument", "", "filter compression extra"},
		{"two compression filters", "", "filter compression\n    filter compression"},
		{"filter in defaults", "filter compression", ""},
		{"explicit filters without compression's", "", "filter trace\n    compression algo gzip"},
		{"types need the filter too", "", "compression type text/html\n    filter trace"},
		{"defaults' compression needs it", "compression algo gzip", "filter trace"},
		{"explicit filters with compression's", "", "filter trace\n    filter compression\n    compression algo gzip"},
		{"cache after compression", "", "filter compression\n    filter cache c\n    compression algo gzip"},
		{"cache before compression", "", "filter cache c\n    filter compression\n    compression algo gzip"},
		{"cache after the filter alone", "", "filter compression\n    filter cache c"},
		{"cache alone is not explicit", "", "filter cache c\n    compression algo gzip"},
		{"maxlevel out of range", "", "compression algo gzip\n#tune 10"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			global := "global\n    tune.comp.maxlevel 9\n"
			if tc.desc == "maxlevel out of range" {
				global = "global\n    tune.comp.maxlevel 10\n"
			}
			cfg := fmt.Sprintf(`%sdefaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
    %s
frontend fe
    bind 127.0.0.1:8080
    %s
    default_backend be
backend be
    server s1 127.0.0.1:8081
cache c
    total-max-size 4
`, global, tc.defaults, tc.frontend)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "c.cfg"), []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			opts := reftest.Options{Dir: dir, Isolate: true}
			want := reftest.Run(t, ref, opts, "-c", "-f", "c.cfg")
			// The trace filter says goodbye when it is freed.
			bye := regexp.MustCompile(`(?m)^.*filter deinitialized\n`)
			want.Stdout, want.Stderr = bye.ReplaceAllString(want.Stdout, ""), bye.ReplaceAllString(want.Stderr, "")
			got := reftest.Run(t, ours, opts, "-c", "-f", "c.cfg")
			if want.Exit != got.Exit || reftest.Normalize(want.Stderr) != reftest.Normalize(got.Stderr) || want.Stdout != got.Stdout {
				t.Errorf("reference (exit %d):\n%s%s\nours (exit %d):\n%s%s", want.Exit, want.Stderr, want.Stdout, got.Exit, got.Stderr, got.Stdout)
			}
		})
	}
}

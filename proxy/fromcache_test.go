package proxy

import "testing"

// TestCacheSectionSettings: a cache section's values reach its store,
// with the reference's defaults and its reading of numbers.
func TestCacheSectionSettings(t *testing.T) {
	cfg, _ := adapt(t, `defaults
	mode http
	timeout connect 1s
	timeout client 1s
	timeout server 1s
cache small
	total-max-size 4
cache tuned
	total-max-size 8
	max-object-size 1000
	max-age 10s
	process-vary on
	max-secondary-entries 3
listen fe
	bind 127.0.0.1:8
	http-request cache-use tuned
	server s1 127.0.0.1:9
`)
	if len(cfg.Caches) != 2 {
		t.Fatalf("%d caches, want 2", len(cfg.Caches))
	}
	for _, tc := range []struct {
		desc                                 string
		blocks, maxObj, maxAge, maxSecondary int
		vary                                 bool
	}{
		{"small", 4096, 4096 * 1024 >> 8, 60, 10, false},
		{"tuned", 8192, 1000, 10, 3, true},
	} {
		var got = cfg.Caches[0]
		if tc.desc == "tuned" {
			got = cfg.Caches[1]
		}
		s := got.Settings
		if s.Name != tc.desc || s.Blocks != tc.blocks || s.MaxObjectSize != tc.maxObj || s.MaxAge != tc.maxAge ||
			s.MaxSecondary != tc.maxSecondary || s.ProcessVary != tc.vary {
			t.Errorf("%s: %+v", tc.desc, s)
		}
	}
	rule := cfg.Frontends[0].HTTP.RequestRules[0]
	if rule.Action != HTTPCacheUse || rule.Cache != cfg.Caches[1] {
		t.Errorf("cache-use rule: %+v", rule)
	}
}

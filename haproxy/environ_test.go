package haproxy

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestEnvChangesApplyInOrder: each setenv-family line of the global
// section changes what the lines after it expand, and Config.Environ
// holds (or lacks) the variables as they leave it.
func TestEnvChangesApplyInOrder(t *testing.T) {
	t.Setenv("FT_OLD", "old")
	for _, tc := range []struct {
		desc, lines string
		wantSpec    string
		has, lacks  []string // in Config.Environ; nil has and lacks: Environ is nil
	}{
		{"none", "", "127.0.0.1:1old", nil, nil},
		{"setenv", "setenv FT_P 2", "127.0.0.1:2old", []string{"FT_P=2", "FT_OLD=old"}, nil},
		{"setenv sees earlier ones", "setenv FT_A 3\n\tsetenv FT_P \"${FT_A}${FT_OLD}\"", "127.0.0.1:3oldold", []string{"FT_P=3old"}, nil},
		{"presetenv keeps a set one", "setenv FT_P 4\n\tpresetenv FT_P 5\n\tpresetenv FT_Q 6", "127.0.0.1:4old", []string{"FT_P=4", "FT_Q=6"}, nil},
		{"unsetenv", "setenv FT_P 6\n\tunsetenv FT_P FT_OLD", "127.0.0.1:1", nil, []string{"FT_P=6", "FT_OLD=old"}},
		{"resetenv keeps the named", "setenv FT_P 7\n\tresetenv FT_P", "127.0.0.1:7", []string{"FT_P=7"}, []string{"FT_OLD=old"}},
		{"only in global", "setenv FT_P 8\nfrontend other\n\tbind 127.0.0.1:9\n\tsetenv FT_P 9", "127.0.0.1:8old", []string{"FT_P=8"}, nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "h.cfg")
			text := "global\n\t" + tc.lines + "\nfrontend fe\n\tmode tcp\n\tbind \"127.0.0.1:${FT_P-1}${FT_OLD}\"\n"
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, _ := LoadWith(Options{Resolve: func(string) bool { return true }}, path)
			var spec string
			for _, px := range cfg.Proxies {
				if px.Name == "fe" && len(px.Binds) == 1 {
					spec = px.Binds[0].Spec
				}
			}
			if spec != tc.wantSpec {
				t.Errorf("bind %q, want %q", spec, tc.wantSpec)
			}
			if tc.has == nil && tc.lacks == nil {
				if cfg.Environ != nil {
					t.Errorf("Environ = %q, want nil", cfg.Environ)
				}
				return
			}
			for _, kv := range tc.has {
				if !slices.Contains(cfg.Environ, kv) {
					t.Errorf("Environ lacks %s", kv)
				}
			}
			for _, kv := range tc.lacks {
				if slices.Contains(cfg.Environ, kv) {
					t.Errorf("Environ still has %s", kv)
				}
			}
		})
	}
}

package reftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ desc, in, want string }{
		{"pid and version lines", "[NOTICE]   (4439) : haproxy version is 2.6.12-1\n[NOTICE]   (4439) : path to executable is /usr/sbin/haproxy\n[ALERT]    (4439) : config : parsing [t.cfg:2] : x\n",
			"[ALERT]    (PID) : config : parsing [t.cfg:2] : x\n"},
		{"keepalived lines untouched", "(k.conf: Line 6) Truncating auth_pass to 8 characters\n", "(k.conf: Line 6) Truncating auth_pass to 8 characters\n"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("%s: Normalize(%q) = %q, want %q", tc.desc, tc.in, got, tc.want)
		}
	}
}

// The reference haproxy rejects a removed keyword with exit 1 and a
// positioned alert; this proves Run captures both and isolates the network.
func TestRunReferenceHAProxy(t *testing.T) {
	ref := HAProxy(t)
	cfg := filepath.Join(t.TempDir(), "t.cfg")
	os.WriteFile(cfg, []byte("global\n  nbproc 2\n"), 0o644)
	res := Run(t, ref, Options{Isolate: os.Geteuid() == 0}, "-c", "-f", cfg)
	if res.Exit != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", res.Exit, res.Stderr)
	}
	want := "[ALERT]    (PID) : config : parsing [" + cfg + ":2] : nbproc is not supported"
	if got := Normalize(res.Stderr); !contains(got, want) {
		t.Fatalf("normalised stderr lacks %q:\n%s", want, got)
	}
}

func TestRunReferenceKeepalived(t *testing.T) {
	ref := Keepalived(t)
	cfg := filepath.Join(t.TempDir(), "k.conf")
	os.WriteFile(cfg, []byte("vrrp_instance VI_1 {\n interface lo\n virtual_router_id 51\n authentication {\n  auth_type PASS\n  auth_pass 123456789\n }\n}\n"), 0o644)
	res := Run(t, ref, Options{}, "-t", "-l", "-f", cfg)
	if res.Exit != 5 {
		t.Fatalf("exit %d, want 5; stderr:\n%s", res.Exit, res.Stderr)
	}
	if want := "(" + cfg + ": Line 6) Truncating auth_pass to 8 characters"; !contains(res.Stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, res.Stderr)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

package proxy

import (
	"crypto/tls"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fulcrum/confparse"
)

// TestBindTLS: certificate files (key inside or in FILE.key), directories
// of them and crt-base are loaded; a bind without ssl stays plain (a
// certificate without its key is refused by the model already).
func TestBindTLS(t *testing.T) {
	dir := t.TempDir()
	both := writeTestCert(t, dir) // site.pem: chain and key
	data, _ := os.ReadFile(both)
	var certPEM, keyPEM []byte
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			certPEM = append(certPEM, pem.EncodeToMemory(b)...)
		} else {
			keyPEM = append(keyPEM, pem.EncodeToMemory(b)...)
		}
	}
	certs := filepath.Join(dir, "certs")
	os.Mkdir(certs, 0o755)
	os.WriteFile(filepath.Join(certs, "a.pem"), data, 0o600)
	os.WriteFile(filepath.Join(certs, "b.pem"), certPEM, 0o600)
	os.WriteFile(filepath.Join(certs, "b.pem.key"), keyPEM, 0o600)

	for _, tc := range []struct {
		desc, global, bind string
		certs              int
		alpn               string
		diag               string
	}{
		{desc: "file with chain and key", bind: "ssl crt " + both, certs: 1},
		{desc: "directory with a .key file", bind: "ssl crt " + certs, certs: 2},
		{desc: "crt-base", global: "crt-base " + dir, bind: "ssl crt site.pem crt certs alpn h2,http/1.1", certs: 3, alpn: "h2,http/1.1"},
		{desc: "alpn without ssl", bind: "alpn h2", diag: "bind option 'alpn' is accepted but not acted on yet"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			text := "global\n " + tc.global + "\nfrontend f\n mode http\n bind 127.0.0.1:8443 " + tc.bind + "\n timeout client 1s\n"
			if tc.global == "" {
				text = strings.Replace(text, "global\n \n", "", 1)
			}
			cfg, diags := adapt(t, text)
			var msgs []string
			for _, d := range diags {
				if d.Severity >= confparse.Warning {
					msgs = append(msgs, d.Message)
				}
			}
			all := strings.Join(msgs, "\n")
			if tc.diag != "" {
				if !strings.Contains(all, tc.diag) {
					t.Fatalf("diagnostics %q, want %q", all, tc.diag)
				}
				return
			}
			if all != "" {
				t.Fatalf("diagnostics: %s", all)
			}
			b := cfg.Frontends[0].Binds[0]
			if b.TLS == nil || len(b.TLS.Certificates) != tc.certs {
				t.Fatalf("TLS config %+v, want %d certificates", b.TLS, tc.certs)
			}
			if got := strings.Join(b.TLS.NextProtos, ","); got != tc.alpn {
				t.Errorf("ALPN %q, want %q", got, tc.alpn)
			}
		})
	}
}

// TestWithALPN: a client offering none of the bind's protocols gets a
// configuration without ALPN instead of a failed handshake.
func TestWithALPN(t *testing.T) {
	cfg := withALPN(&tls.Config{NextProtos: []string{"h2", "http/1.1"}})
	for _, tc := range []struct {
		desc    string
		offered []string
		plain   bool
	}{
		{"common protocol", []string{"http/1.1"}, false},
		{"nothing common", []string{"foo"}, true},
		{"no ALPN offered", nil, true},
	} {
		got, err := cfg.GetConfigForClient(&tls.ClientHelloInfo{SupportedProtos: tc.offered})
		if err != nil {
			t.Fatal(err)
		}
		if (got != nil && got.NextProtos == nil) != tc.plain {
			t.Errorf("%s: config %+v, want plain=%v", tc.desc, got, tc.plain)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"10": 10, "1k": 1024, "2m": 2 << 20, "1g": 1 << 30, "7K": 7168} {
		if got := parseSize(in); got != want {
			t.Errorf("parseSize(%q) = %d, want %d", in, got, want)
		}
	}
}

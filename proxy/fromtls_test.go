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
		{desc: "crt-base", global: "crt-base " + dir, bind: "ssl crt site.pem crt certs alpn h2x,http/1.1", certs: 3, alpn: "h2x,http/1.1"},
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

// TestApplyTLS: protocol ranges and suite lists from bind words.
func TestApplyTLS(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		words    [][2]string
		min, max uint16
		suites   int // -1: the default list kept
	}{
		{"default", nil, tls.VersionTLS12, tls.VersionTLS13, -1},
		{"min 1.3", [][2]string{{"ssl-min-ver", "TLSv1.3"}}, tls.VersionTLS13, tls.VersionTLS13, -1},
		{"max 1.1 from 1.0", [][2]string{{"ssl-min-ver", "TLSv1.0"}, {"ssl-max-ver", "TLSv1.1"}}, tls.VersionTLS10, tls.VersionTLS11, -1},
		{"no-tlsv13 alone", [][2]string{{"no-tlsv13", ""}}, tls.VersionTLS12, tls.VersionTLS12, -1},
		{"no-tlsv13 under a minimum", [][2]string{{"ssl-min-ver", "TLSv1.2"}, {"no-tlsv13", ""}}, tls.VersionTLS12, tls.VersionTLS13, -1},
		{"force-tlsv12", [][2]string{{"force-tlsv12", ""}}, tls.VersionTLS12, tls.VersionTLS12, -1},
		{"cipher names", [][2]string{{"ciphers", "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:AES128-SHA"}}, tls.VersionTLS12, tls.VersionTLS13, 2},
		{"cipher keywords", [][2]string{{"ciphers", "HIGH:!aNULL"}}, tls.VersionTLS12, tls.VersionTLS13, -1},
		{"system profile", [][2]string{{"ciphers", "PROFILE=SYSTEM"}}, tls.VersionTLS12, tls.VersionTLS13, -1},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var s tlsSettings
			for _, w := range tc.words {
				s.word(w[0], w[1], confparse.Pos{})
			}
			cfg := &tls.Config{CipherSuites: allSuites()}
			a := &adapter{}
			a.applyTLS(cfg, s)
			if cfg.MinVersion != tc.min || cfg.MaxVersion != tc.max {
				t.Errorf("versions %x-%x, want %x-%x", cfg.MinVersion, cfg.MaxVersion, tc.min, tc.max)
			}
			if tc.suites >= 0 && len(cfg.CipherSuites) != tc.suites || tc.suites < 0 && len(cfg.CipherSuites) != len(allSuites()) {
				t.Errorf("%d suites, want %d", len(cfg.CipherSuites), tc.suites)
			}
		})
	}
}

// TestCertSelection: the certificate for an SNI, as the reference picks
// it (checked by hand against it): crt-list filters replace a
// certificate's own names, wildcards match one label, negative filters
// take names away, anything else gets the first certificate loaded.
func TestCertSelection(t *testing.T) {
	dir := t.TempDir()
	writeNamedCert(t, dir, "a.pem", "a.example", "a.example")
	writeNamedCert(t, dir, "b.pem", "b.example", "b.example")
	writeNamedCert(t, dir, "c.pem", "c.example", "c.example", "*.c.example")
	list := filepath.Join(dir, "list")
	os.WriteFile(list, []byte("# certificates\nb.pem [alpn h2] other.example *.wild.example !x.wild.example\n\nc.pem\n"), 0o644)
	cfg, diags := adapt(t, "global\n crt-base "+dir+"\nfrontend f\n mode http\n bind 127.0.0.1:8443 ssl crt a.pem crt-list "+list+"\n timeout client 1s\n")
	var warned bool
	for _, d := range diags {
		warned = warned || strings.Contains(d.Message, "options [alpn h2] of 'b.pem' are not acted on")
	}
	if !warned {
		t.Errorf("crt-list options not warned: %v", diags)
	}
	sel := cfg.Frontends[0].Binds[0].TLS.GetCertificate
	for sni, want := range map[string]string{"a.example": "a.example", "b.example": "a.example", "other.example": "b.example",
		"y.wild.example": "b.example", "x.wild.example": "a.example", "c.example": "c.example", "z.c.example": "c.example",
		"": "a.example", "OTHER.example": "b.example"} {
		c, err := sel(&tls.ClientHelloInfo{ServerName: sni})
		if err != nil || c.Leaf.Subject.CommonName != want {
			t.Errorf("SNI %q: %s, want %s", sni, c.Leaf.Subject.CommonName, want)
		}
	}
}

// TestALPNOffersH2: the bind's ALPN list is offered as written, h2
// included, without a warning.
func TestALPNOffersH2(t *testing.T) {
	dir := t.TempDir()
	cert := writeTestCert(t, dir)
	cfg, diags := adapt(t, "frontend f\n mode http\n bind 127.0.0.1:8443 ssl crt "+cert+" alpn h2,http/1.1\n timeout client 1s\n")
	if got := strings.Join(cfg.Frontends[0].Binds[0].TLS.NextProtos, ","); got != "h2,http/1.1" {
		t.Errorf("ALPN %q, want h2,http/1.1", got)
	}
	for _, d := range diags {
		if strings.Contains(d.Message, "alpn") {
			t.Errorf("unexpected warning: %v", d)
		}
	}
}

package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// testCA is a throwaway certificate authority for TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string // path of its PEM certificate
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	path := filepath.Join(dir, name+".pem")
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return &testCA{cert: cert, key: key, pem: path}
}

// leaf issues a server certificate for dnsName and 127.0.0.1.
func (ca *testCA) leaf(t *testing.T, dnsName string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: dnsName},
		DNSNames: []string{dnsName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestServerTLSDifferential: `ssl` towards servers, with and without
// verification, SNI, a wrong name or CA, and health checks over TLS; the
// client sees the same answers through ours and through the reference.
func TestServerTLSDifferential(t *testing.T) {
	ref := reftest.HAProxy(t)
	dir := t.TempDir()
	ca, other := newTestCA(t, dir, "ca"), newTestCA(t, dir, "other")
	addr := startTLSEcho(t, ca, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "sni=%s path=%s", r.TLS.ServerName, r.URL.Path)
	})
	body := `defaults
  mode http
  timeout connect 2s
  retries 0
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  use_backend sni if { path_beg /sni }
  use_backend wrongname if { path_beg /wrongname }
  use_backend wrongca if { path_beg /wrongca }
  use_backend checked if { path_beg /checked }
  use_backend dynsni if { path_beg /dynsni }
  default_backend noverify
backend noverify
  server s ` + addr + ` ssl verify none
backend sni
  server s ` + addr + ` ssl verify required ca-file ` + ca.pem + ` sni str(backend.test)
backend wrongname
  server s ` + addr + ` ssl verify required ca-file ` + ca.pem + ` sni str(wrong.test)
backend wrongca
  server s ` + addr + ` ssl verify required ca-file ` + other.pem + `
backend checked
  option httpchk GET /health
  server s ` + addr + ` ssl verify none check inter 200ms
backend dynsni
  server s ` + addr + ` ssl verify none sni req.hdr(x-sni)
`
	refPort := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, ref, fmt.Sprintf(body, refPort))
	oursPort := difftest.FreePort(t)
	startText(t, fmt.Sprintf(body, oursPort))
	time.Sleep(500 * time.Millisecond) // the checks of both have run
	get := func(addr, path string) string {
		status, body := getOnce(addr, path, "X-SNI: dyn.test\r\n")
		switch status {
		case 0:
			return body
		case 200:
			return fmt.Sprintf("%d %s", status, body)
		}
		return fmt.Sprint(status)
	}
	for _, path := range []string{"/plain", "/sni", "/wrongname", "/wrongca", "/checked", "/dynsni"} {
		want, got := get(fmt.Sprintf("127.0.0.1:%d", refPort), path), get(fmt.Sprintf("127.0.0.1:%d", oursPort), path)
		if got != want {
			t.Errorf("%s: ours %q, reference %q", path, got, want)
		}
		if path == "/sni" && !strings.Contains(want, "sni=backend.test") {
			t.Errorf("%s: the reference answered %q: the scenario is not what it means to test", path, want)
		}
	}
}

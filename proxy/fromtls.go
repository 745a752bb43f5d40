package proxy

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"

	"fulcrum/haproxy"
	"fulcrum/proxy/sample"
)

// bindTLS maps a bind line's TLS termination (`ssl crt FILE|DIR ...
// [alpn LIST]`) to the listener's TLS configuration; nil for a plain
// bind. Certificates are PEM files holding the chain and the key (or
// the key in FILE.key, as the reference loads it), or directories of
// them. What is parsed but not built is warned.
func (a *adapter) bindTLS(d haproxy.Directive) *tls.Config {
	ssl := false
	var crts []string
	var alpn string
	for i := 1; i < len(d.Args); i++ {
		opt, val := d.Args[i], ""
		if bindValueOptions[opt] && i+1 < len(d.Args) {
			i++
			val = d.Args[i]
		}
		switch opt {
		case "ssl":
			ssl = true
		case "crt":
			crts = append(crts, a.basePath("crt-base", val))
		case "alpn":
			alpn = val
		case "crt-list", "ca-file", "verify":
			a.warn(d.Pos, "bind option '%s' is accepted but not acted on yet by Fulcrum.", opt)
		}
	}
	if !ssl {
		if alpn != "" {
			a.warn(d.Pos, "bind option 'alpn' is accepted but not acted on yet by Fulcrum (no 'ssl' on the line).")
		}
		return nil
	}
	// OpenSSL's default list also takes the RSA key exchange suites,
	// which Go leaves out unless they are named.
	cfg := &tls.Config{CipherSuites: allSuites()}
	for _, path := range crts {
		certs, err := loadCertificates(path)
		if err != nil {
			a.alert(d.Pos, "'bind %s' : unable to load SSL certificate from '%s' : %v.", first(d.Args), path, err)
			return nil
		}
		cfg.Certificates = append(cfg.Certificates, certs...)
	}
	if len(cfg.Certificates) == 0 {
		a.alert(d.Pos, "'bind %s' : no SSL certificate that Fulcrum can load (crt-list is not built).", first(d.Args))
		return nil
	}
	if alpn != "" {
		cfg.NextProtos = strings.Split(alpn, ",")
	}
	return withALPN(cfg)
}

// allSuites lists every suite Go implements that is not marked
// insecure, plus those of OpenSSL's default list that Go marks so (RSA
// key exchange, 3DES with ECDHE).
func allSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		if sample.CipherName(s.ID) != "" {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// basePath applies the global crt-base/ca-base to a relative path.
func (a *adapter) basePath(key, p string) string {
	if filepath.IsAbs(p) || a.hc.Global.Section == nil {
		return p
	}
	for _, d := range a.hc.Global.Section.Lines {
		if d.Keyword == key && len(d.Args) > 0 {
			return filepath.Join(d.Args[0], p)
		}
	}
	return p
}

// loadCertificates reads a certificate file, or every certificate file
// of a directory (in name order; the reference's companion files .key,
// .ocsp, .issuer and .sctl are read with theirs, not on their own).
func loadCertificates(path string) ([]tls.Certificate, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		c, err := loadCertificate(path)
		if err != nil {
			return nil, err
		}
		return []tls.Certificate{c}, nil
	}
	names, err := filepath.Glob(filepath.Join(path, "*"))
	if err != nil {
		return nil, err
	}
	var certs []tls.Certificate
	for _, n := range names {
		switch filepath.Ext(n) {
		case ".key", ".ocsp", ".issuer", ".sctl":
			continue
		}
		if st, err := os.Stat(n); err != nil || st.IsDir() {
			continue
		}
		c, err := loadCertificate(n)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// loadCertificate reads one PEM file holding a certificate chain and its
// key, the key possibly in a FILE.key beside it.
func loadCertificate(path string) (tls.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return tls.Certificate{}, err
	}
	if c, err := tls.X509KeyPair(data, data); err == nil {
		return c, nil
	}
	key, kerr := os.ReadFile(path + ".key")
	if kerr != nil {
		_, err := tls.X509KeyPair(data, data)
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(data, key)
}

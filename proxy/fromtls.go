package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"

	"fulcrum/confparse"
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
	var sources []certSource
	var alpn, caFile, verify string
	settings := a.globalTLS()
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
			sources = append(sources, certSource{path: a.basePath("crt-base", val)})
		case "crt-list":
			sources = append(sources, certSource{path: val, list: true})
		case "alpn":
			alpn = val
		case "ca-file":
			caFile = a.basePath("ca-base", val)
		case "verify":
			verify = val
		default:
			if tlsOptions[opt] {
				settings.word(opt, val, d.Pos)
			}
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
	a.applyTLS(cfg, settings)
	var sel certSelector
	for _, src := range sources {
		if err := a.loadSource(&sel, src, d); err != nil {
			a.alert(d.Pos, "'bind %s' : unable to load SSL certificate from '%s' : %v.", first(d.Args), src.path, err)
			return nil
		}
	}
	if len(sel.certs) == 0 {
		a.alert(d.Pos, "'bind %s' : no SSL certificate to load.", first(d.Args))
		return nil
	}
	for _, c := range sel.certs {
		cfg.Certificates = append(cfg.Certificates, *c)
	}
	cfg.GetCertificate = sel.get
	cfg.NextProtos = a.alpnList(alpn, d)
	if !a.clientAuth(cfg, caFile, verify, d) {
		return nil
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
	return a.hc.Global.BasePath(key, p)
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

// tlsOptions are the bind (and ssl-default-bind-options) words that
// shape the handshake: protocol versions, TLS 1.2 suites, tickets.
var tlsOptions = map[string]bool{"ssl-min-ver": true, "ssl-max-ver": true, "no-sslv3": true, "no-tlsv10": true,
	"no-tlsv11": true, "no-tlsv12": true, "no-tlsv13": true, "force-sslv3": true, "force-tlsv10": true,
	"force-tlsv11": true, "force-tlsv12": true, "force-tlsv13": true, "no-tls-tickets": true,
	"ciphers": true, "ciphersuites": true}

// ActsOnGlobal reports whether the adapter maps a global keyword (so the
// model's "not acted on yet" notice for it is stale).
func ActsOnGlobal(keyword string) bool {
	return keyword == "ssl-default-bind-options" || keyword == "ssl-default-bind-ciphers" ||
		keyword == "ssl-default-bind-ciphersuites" || actsOnServerTLSGlobal(keyword) ||
		keyword == "spread-checks" || keyword == "max-spread-checks" || actsOnCompGlobal(keyword) ||
		actedGlobals[keyword] || // set-var, maxconnrate... (fromprocvars.go, ratelimits.go)
		keyword == "ca-base" || keyword == "crt-base" || // relative certificate and CA paths
		bufferGlobals[keyword]
}

// tlsVersions are the protocol names of ssl-min-ver/ssl-max-ver and the
// no-*/force-* words, in order.
var tlsVersions = []struct {
	name, word string
	v          uint16
}{{"SSLv3", "sslv3", 0x0300}, {"TLSv1.0", "tlsv10", tls.VersionTLS10}, {"TLSv1.1", "tlsv11", tls.VersionTLS11},
	{"TLSv1.2", "tlsv12", tls.VersionTLS12}, {"TLSv1.3", "tlsv13", tls.VersionTLS13}}

// tlsSettings gathers the version and suite words of the global defaults
// and of one bind line, the bind's last.
type tlsSettings struct {
	min, max         string
	no               map[string]bool
	force            string
	ciphers          string
	ciphersPos       confparse.Pos
	suites13         string
	suitesPos        confparse.Pos
	noTickets        bool
	fromGlobalSuites bool
}

// word applies one option word (and its value).
func (s *tlsSettings) word(opt, val string, pos confparse.Pos) {
	switch {
	case opt == "ssl-min-ver":
		s.min = val
	case opt == "ssl-max-ver":
		s.max = val
	case strings.HasPrefix(opt, "no-") && opt != "no-tls-tickets":
		if s.no == nil {
			s.no = map[string]bool{}
		}
		s.no[strings.TrimPrefix(opt, "no-")] = true
	case strings.HasPrefix(opt, "force-"):
		s.force = strings.TrimPrefix(opt, "force-")
	case opt == "no-tls-tickets":
		s.noTickets = true
	case opt == "ciphers":
		s.ciphers, s.ciphersPos = val, pos
	case opt == "ciphersuites":
		s.suites13, s.suitesPos = val, pos
	}
}

// globalTLS reads ssl-default-bind-options, -ciphers and -ciphersuites.
func (a *adapter) globalTLS() tlsSettings { return a.globalTLSOf("bind") }

// globalTLSOf reads ssl-default-SIDE-options, -ciphers and -ciphersuites
// (side "bind" or "server").
func (a *adapter) globalTLSOf(side string) tlsSettings {
	var s tlsSettings
	if a.hc.Global.Section == nil {
		return s
	}
	for _, d := range a.hc.Global.Section.Lines {
		switch d.Keyword {
		case "ssl-default-" + side + "-options":
			for i := 0; i < len(d.Args); i++ {
				opt, val := d.Args[i], ""
				if (opt == "ssl-min-ver" || opt == "ssl-max-ver") && i+1 < len(d.Args) {
					i++
					val = d.Args[i]
				}
				s.word(opt, val, d.Pos)
			}
		case "ssl-default-" + side + "-ciphers":
			s.word("ciphers", first(d.Args), d.Pos)
		case "ssl-default-" + side + "-ciphersuites":
			s.word("ciphersuites", first(d.Args), d.Pos)
		}
	}
	return s
}

// apply sets the versions, suites and tickets of cfg.
func (a *adapter) applyTLS(cfg *tls.Config, s tlsSettings) {
	lo, hi := 1, len(tlsVersions)-1 // TLSv1.0 .. TLSv1.3 (Go has no SSLv3)
	for i, v := range tlsVersions {
		if s.min == v.name {
			lo = max(i, 1)
		}
		if s.max == v.name {
			hi = i
		}
	}
	if s.min == "" && s.max == "" && s.force == "" {
		lo = 3 // the reference's default minimum, TLSv1.2
	}
	for i, v := range tlsVersions {
		if s.force == v.word {
			lo, hi = i, i
		}
	}
	// With ssl-min-ver or ssl-max-ver set (here or in the global
	// defaults), the reference ignores the no-* words.
	for s.min == "" && s.max == "" && lo <= hi && s.no[tlsVersions[lo].word] {
		lo++
	}
	for s.min == "" && s.max == "" && hi >= lo && s.no[tlsVersions[hi].word] {
		hi--
	}
	if lo <= hi {
		cfg.MinVersion, cfg.MaxVersion = tlsVersions[lo].v, tlsVersions[hi].v
	}
	cfg.SessionTicketsDisabled = s.noTickets
	if s.ciphers != "" {
		if ids, ok := cipherList(s.ciphers); ok {
			cfg.CipherSuites = ids
		} else {
			a.warnOnce(s.ciphersPos, "cipher list '%s' is not acted on by Fulcrum (only lists of cipher names are): OpenSSL's default list is used.", s.ciphers)
		}
	}
	if s.suites13 != "" && !allTLS13(s.suites13) {
		a.warnOnce(s.suitesPos, "TLS 1.3 cipher suites '%s' are not acted on by Fulcrum: Go's TLS 1.3 suites cannot be restricted.", s.suites13)
	}
}

// cipherList maps an OpenSSL list of cipher names to Go's suites; names
// Go does not implement (DHE, CCM...) are left out, and false says the
// list holds keywords or rules (HIGH, !aNULL, @STRENGTH...) not mapped.
func cipherList(list string) ([]uint16, bool) {
	byName := map[string]uint16{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if n := sample.CipherName(s.ID); n != "" {
			byName[n] = s.ID
		}
	}
	var ids []uint16
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		// Cipher names have a dash; keywords (HIGH, aNULL), rules
		// (!, +, -, @STRENGTH) and PROFILE=... are not mapped.
		if strings.ContainsAny(name[:1], "!+-@") || strings.ContainsAny(name, "+=") || !strings.Contains(name, "-") {
			return nil, false
		}
		if id, ok := byName[name]; ok {
			ids = append(ids, id)
		}
	}
	return ids, len(ids) > 0
}

// allTLS13 reports whether a TLS 1.3 suite list names all three suites
// Go offers (then restricting them changes nothing).
func allTLS13(list string) bool {
	n := 0
	for _, s := range strings.Split(list, ":") {
		switch s {
		case "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256":
			n++
		}
	}
	return n == 3
}

// warnOnce warns unless the same warning was given (a global setting
// applies to every bind).
func (a *adapter) warnOnce(pos confparse.Pos, format string, args ...any) {
	n := len(a.diags)
	a.warn(pos, format, args...)
	for _, d := range a.diags[:n] {
		if d.Pos == pos && d.Message == a.diags[n].Message {
			a.diags = a.diags[:n]
			return
		}
	}
}

// alpnList is a bind's ALPN offer, in its order ("h2" is served by
// h2serve.go).
func (a *adapter) alpnList(alpn string, d haproxy.Directive) []string {
	if alpn == "" {
		return nil
	}
	return strings.Split(alpn, ",")
}

// certSource is a `crt` file or directory, or a `crt-list` file.
type certSource struct {
	path string
	list bool
}

// certSelector picks a bind's certificate for a handshake's SNI, as the
// reference does: an exact name, then a wildcard one, else the first
// certificate loaded. A certificate's names are its crt-list filters,
// else its own DNS names and common name; negative filters take names
// away from it.
type certSelector struct {
	certs       []*tls.Certificate
	exact, wild map[string]*tls.Certificate
	excluded    map[*tls.Certificate]map[string]bool
}

// add registers c under its filters (nil: its own names).
func (s *certSelector) add(c *tls.Certificate, filters []string) {
	if s.exact == nil {
		s.exact, s.wild, s.excluded = map[string]*tls.Certificate{}, map[string]*tls.Certificate{}, map[*tls.Certificate]map[string]bool{}
	}
	s.certs = append(s.certs, c)
	names := filters
	if len(names) == 0 && c.Leaf != nil {
		names = append(names, c.Leaf.DNSNames...)
		if cn := c.Leaf.Subject.CommonName; cn != "" {
			names = append(names, cn)
		}
	}
	for _, n := range names {
		n = strings.ToLower(n)
		switch {
		case strings.HasPrefix(n, "!"):
			if s.excluded[c] == nil {
				s.excluded[c] = map[string]bool{}
			}
			s.excluded[c][n[1:]] = true
		case strings.HasPrefix(n, "*."):
			if s.wild[n[2:]] == nil {
				s.wild[n[2:]] = c
			}
		default:
			if s.exact[n] == nil {
				s.exact[n] = c
			}
		}
	}
}

func (s *certSelector) get(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(hello.ServerName)
	if c := s.exact[name]; c != nil && !s.excluded[c][name] {
		return c, nil
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		if c := s.wild[parent]; c != nil && !s.excluded[c][name] {
			return c, nil
		}
	}
	return s.certs[0], nil
}

// loadSource loads a crt file or directory, or each line of a crt-list
// ("PATH [OPTIONS] [FILTER ...]"; paths relative to crt-base, options
// warned as not acted on).
func (a *adapter) loadSource(sel *certSelector, src certSource, d haproxy.Directive) error {
	if !src.list {
		certs, err := loadCertificates(src.path)
		for i := range certs {
			sel.add(&certs[i], nil)
		}
		return err
	}
	data, err := os.ReadFile(src.path)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		path, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			opts, after, _ := strings.Cut(rest[1:], "]")
			if strings.TrimSpace(opts) != "" {
				a.warn(d.Pos, "crt-list '%s' : options [%s] of '%s' are not acted on yet by Fulcrum.", src.path, strings.TrimSpace(opts), path)
			}
			rest = after
		}
		certs, err := loadCertificates(a.basePath("crt-base", path))
		if err != nil {
			return err
		}
		filters := strings.Fields(rest)
		for i := range certs {
			sel.add(&certs[i], filters)
		}
	}
	return nil
}

// clientAuth maps `ca-file` and `verify none|optional|required`: client
// certificates are requested unless verify is none (the default), and
// checked against the CA file.
func (a *adapter) clientAuth(cfg *tls.Config, caFile, verify string, d haproxy.Directive) bool {
	if verify == "" || verify == "none" {
		return true
	}
	pool := x509.NewCertPool()
	if caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil || !pool.AppendCertsFromPEM(data) {
			a.alert(d.Pos, "'bind %s' : unable to load the CA file '%s'.", first(d.Args), caFile)
			return false
		}
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	if verify == "required" {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return true
}

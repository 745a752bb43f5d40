package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"strings"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy/sample"
)

// ServerTLS is TLS towards a server: `ssl` for its traffic, and for its
// checks `check-ssl` (or `ssl` when the checks go to the server's own
// address and port).
type ServerTLS struct {
	// Config has InsecureSkipVerify set: the chain (and the name, with
	// verifyhost or sni) is checked by its VerifyConnection, as the
	// reference checks them, only under `verify required`.
	Config *tls.Config
	// SNI computes the server name sent (`sni EXPR`); nil sends none.
	SNI func(*Session) string
	// Traffic: connections go over TLS; Checks: health checks do.
	Traffic, Checks bool
}

// config is the client configuration for one connection of sess (nil
// for a health check).
func (t *ServerTLS) config(sess *Session) *tls.Config {
	if t.SNI == nil || sess == nil {
		return t.Config
	}
	name := t.SNI(sess)
	if name == "" {
		return t.Config
	}
	cfg := t.Config.Clone()
	cfg.ServerName = name
	return cfg
}

// serverTLS maps a server's TLS options; nil when neither its traffic
// nor its checks use TLS. ok is false after an alert.
func (a *adapter) serverTLS(px *haproxy.Proxy, name string, opts map[string]string, pos confparse.Pos) (*ServerTLS, bool) {
	has := func(k string) bool { _, ok := opts[k]; return ok }
	t := &ServerTLS{Traffic: has("ssl") && !has("no-ssl")}
	// Checks inherit the traffic's TLS unless they go elsewhere.
	t.Checks = has("check-ssl") && !has("no-check-ssl") ||
		t.Traffic && !has("no-check-ssl") && !has("port") && !has("addr")
	if !t.Traffic && !t.Checks {
		return nil, true
	}
	cfg := &tls.Config{InsecureSkipVerify: true}
	s := a.globalTLSOf("server")
	for _, k := range []string{"ssl-min-ver", "ssl-max-ver", "ciphers", "no-tls-tickets", "no-sslv3", "no-tlsv10",
		"no-tlsv11", "no-tlsv12", "no-tlsv13", "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13"} {
		if v, ok := opts[k]; ok {
			s.word(k, v, pos)
		}
	}
	a.applyTLS(cfg, s)
	if !has("no-ssl-reuse") {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(16)
	}
	if crt := opts["crt"]; crt != "" {
		c, err := loadCertificate(a.basePath("crt-base", crt))
		if err != nil {
			a.alert(pos, "'server %s/%s' : unable to load the client certificate '%s': %v.", px.Name, name, crt, err)
			return nil, false
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	if alpn := opts["alpn"]; alpn != "" {
		for _, p := range strings.Split(alpn, ",") {
			if p == "h2" && px.Mode == "http" {
				a.warn(pos, "'server %s/%s' : 'alpn' : 'h2' is left out of the offer: Fulcrum does not speak HTTP/2 yet.", px.Name, name)
				continue
			}
			cfg.NextProtos = append(cfg.NextProtos, p)
		}
	}
	if expr := opts["sni"]; expr != "" {
		tmpl, err := sample.ParseTemplate("%["+expr+"]", a.sampleOptions(pos))
		if err != nil {
			a.warn(pos, "'server %s/%s' : 'sni %s' : %v; no server name is sent.", px.Name, name, expr, notBuilt(err))
		} else if lit, ok := tmpl.Literal(); ok {
			cfg.ServerName = lit
		} else {
			t.SNI = func(sess *Session) string { return tmpl.String(sess) }
		}
	}
	verify := opts["verify"]
	if verify == "" && a.hc.Global.Arg("ssl-server-verify") == "none" {
		verify = "none"
	}
	if verify != "none" {
		roots := x509.NewCertPool()
		if ca := opts["ca-file"]; ca != "" {
			data, err := os.ReadFile(a.basePath("ca-base", ca))
			if err != nil || !roots.AppendCertsFromPEM(data) {
				a.alert(pos, "'server %s/%s' : unable to load the CA file '%s'.", px.Name, name, ca)
				return nil, false
			}
		}
		host := opts["verifyhost"]
		byName := host == "" && has("sni") && !has("no-verifyhost")
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no server certificate")
			}
			vo := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool(), DNSName: host}
			if byName {
				vo.DNSName = cs.ServerName
			}
			for _, c := range cs.PeerCertificates[1:] {
				vo.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(vo)
			return err
		}
	}
	t.Config = cfg
	return t, true
}

// actsOnServerTLSGlobal: the global defaults of `ssl` servers that
// serverTLS applies.
func actsOnServerTLSGlobal(keyword string) bool {
	switch keyword {
	case "ssl-server-verify", "ssl-default-server-options", "ssl-default-server-ciphers", "ssl-default-server-ciphersuites":
		return true
	}
	return false
}

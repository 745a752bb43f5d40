package sample

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

// The TLS session fetches of a connection accepted on an `ssl` bind,
// read from an Env that keeps the handshake's state. Names are
// OpenSSL's, as the reference reports them.

// TLSEnv is an Env whose client connection may be a TLS one.
type TLSEnv interface {
	// TLSState is the handshake's outcome, nil on a plain connection.
	TLSState() *tls.ConnectionState
}

func init() {
	for _, f := range []Fetch{
		{Name: "ssl_fc", Out: Bool, Fn: func(c *Call, out *Sample) Result {
			*out = boolSample(tlsState(c) != nil)
			return Found
		}},
		{Name: "ssl_fc_has_sni", Out: Bool, Fn: tlsBool(func(st *tls.ConnectionState) bool { return st.ServerName != "" })},
		{Name: "ssl_fc_sni", Out: Str, Fn: tlsText(func(st *tls.ConnectionState) string { return st.ServerName })},
		{Name: "ssl_fc_alpn", Out: Str, Fn: tlsText(func(st *tls.ConnectionState) string { return st.NegotiatedProtocol })},
		{Name: "ssl_fc_protocol", Out: Str, Fn: tlsText(func(st *tls.ConnectionState) string { return ProtocolName(st.Version) })},
		{Name: "ssl_fc_cipher", Out: Str, Fn: tlsText(func(st *tls.ConnectionState) string { return CipherName(st.CipherSuite) })},
		{Name: "ssl_fc_is_resumed", Out: Bool, Fn: tlsBool(func(st *tls.ConnectionState) bool { return st.DidResume })},
		{Name: "ssl_fc_use_keysize", Out: Int, Fn: tlsFetch(func(st *tls.ConnectionState, out *Sample) bool {
			use, _ := keySizes(CipherName(st.CipherSuite))
			*out = intSample(int64(use))
			return use > 0
		})},
		{Name: "ssl_fc_alg_keysize", Out: Int, Fn: tlsFetch(func(st *tls.ConnectionState, out *Sample) bool {
			_, alg := keySizes(CipherName(st.CipherSuite))
			*out = intSample(int64(alg))
			return alg > 0
		})},
		// Connection and TLS error codes: a connection that got this
		// far had none (0); the TLS ones have no value on a plain one.
		{Name: "fc_err", Out: Int, Fn: func(c *Call, out *Sample) Result {
			*out = intSample(0)
			return Found
		}},
		{Name: "ssl_fc_err", Out: Int, Fn: tlsZero},
		{Name: "ssl_c_err", Out: Int, Fn: tlsZero},
		{Name: "ssl_c_ca_err", Out: Int, Fn: tlsZero},
		{Name: "ssl_c_used", Out: Bool, Fn: tlsFetch(func(st *tls.ConnectionState, out *Sample) bool {
			*out = boolSample(len(st.PeerCertificates) > 0)
			return true
		})},
	} {
		RegisterFetch(f)
	}
}

func tlsState(c *Call) *tls.ConnectionState {
	if e, ok := c.Env.(TLSEnv); ok {
		return e.TLSState()
	}
	return nil
}

// tlsFetch makes a fetch of the TLS state: no value on a plain
// connection, nor when get finds none.
func tlsFetch(get func(*tls.ConnectionState, *Sample) bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		st := tlsState(c)
		if st == nil || !get(st, out) {
			return Miss
		}
		return Found
	}
}

// tlsZero is an error code of a TLS connection without error.
func tlsZero(c *Call, out *Sample) Result {
	if tlsState(c) == nil {
		return Miss
	}
	*out = intSample(0)
	return Found
}

// tlsBool makes a boolean fetch of the TLS state, false on a plain
// connection.
func tlsBool(get func(*tls.ConnectionState) bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		st := tlsState(c)
		*out = boolSample(st != nil && get(st))
		return Found
	}
}

// tlsText makes a fetch of a TLS state text, no value when empty.
func tlsText(get func(*tls.ConnectionState) string) func(*Call, *Sample) Result {
	return tlsFetch(func(st *tls.ConnectionState, out *Sample) bool {
		v := get(st)
		*out = strSample([]byte(v))
		return v != ""
	})
}

// ProtocolName is OpenSSL's name of a protocol version.
func ProtocolName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return ""
}

// opensslCiphers are OpenSSL's names of the suites Go negotiates (TLS 1.3
// suites keep their IANA names there).
var opensslCiphers = map[uint16]string{
	tls.TLS_AES_128_GCM_SHA256:                        "TLS_AES_128_GCM_SHA256",
	tls.TLS_AES_256_GCM_SHA384:                        "TLS_AES_256_GCM_SHA384",
	tls.TLS_CHACHA20_POLY1305_SHA256:                  "TLS_CHACHA20_POLY1305_SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "ECDHE-ECDSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "ECDHE-ECDSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "ECDHE-RSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "ECDHE-RSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          "ECDHE-ECDSA-AES128-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          "ECDHE-ECDSA-AES256-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            "ECDHE-RSA-AES128-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            "ECDHE-RSA-AES256-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       "ECDHE-ECDSA-AES128-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         "ECDHE-RSA-AES128-SHA256",
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               "AES128-GCM-SHA256",
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               "AES256-GCM-SHA384",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  "AES128-SHA",
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  "AES256-SHA",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256:               "AES128-SHA256",
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:           "ECDHE-RSA-DES-CBC3-SHA",
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:                 "DES-CBC3-SHA",
}

// CipherName is OpenSSL's name of a cipher suite ("" when unknown).
func CipherName(id uint16) string { return opensslCiphers[id] }

// keySizes are the symmetric key's strength and size in bits, as
// OpenSSL counts them for a suite name.
func keySizes(name string) (use, alg int) {
	switch {
	case strings.Contains(name, "AES128") || strings.Contains(name, "AES_128"):
		return 128, 128
	case strings.Contains(name, "AES256") || strings.Contains(name, "AES_256") || strings.Contains(name, "CHACHA20"):
		return 256, 256
	case strings.Contains(name, "DES-CBC3"):
		return 112, 168
	}
	return 0, 0
}

func init() {
	dnArgs := []ArgType{ArgStr, ArgInt, ArgStr}
	for _, f := range []Fetch{
		{Name: "ssl_c_verify", Out: Int, Fn: tlsZero},
		{Name: "ssl_c_s_dn", Args: dnArgs, Out: Str, Fn: dnFetch(false)},
		{Name: "ssl_c_i_dn", Args: dnArgs, Out: Str, Fn: dnFetch(true)},
	} {
		RegisterFetch(f)
	}
}

// dnFetch is ssl_c_s_dn / ssl_c_i_dn: the client certificate's subject
// (or issuer) as OpenSSL's one-line form "/C=FR/O=Org/CN=name", or one
// entry's value (its last occurrence, or the occurrence given: 1 the
// first, -1 the last).
func dnFetch(issuer bool) func(*Call, *Sample) Result {
	return func(c *Call, out *Sample) Result {
		st := tlsState(c)
		if st == nil || len(st.PeerCertificates) == 0 {
			return Miss
		}
		raw := st.PeerCertificates[0].RawSubject
		if issuer {
			raw = st.PeerCertificates[0].RawIssuer
		}
		var seq pkix.RDNSequence
		if _, err := asn1.Unmarshal(raw, &seq); err != nil {
			return Miss
		}
		var attrs []pkix.AttributeTypeAndValue
		for _, rdn := range seq {
			attrs = append(attrs, rdn...)
		}
		if !c.Args[0].Set || c.Args[0].Str == "" {
			var b strings.Builder
			for _, a := range attrs {
				b.WriteString("/" + oidName(a.Type) + "=" + fmt.Sprint(a.Value))
			}
			*out = strSample([]byte(b.String()))
			return Found
		}
		var vals []string
		for _, a := range attrs {
			if strings.EqualFold(oidName(a.Type), c.Args[0].Str) {
				vals = append(vals, fmt.Sprint(a.Value))
			}
		}
		occ := int64(-1)
		if c.Args[1].Set && c.Args[1].Int != 0 {
			occ = c.Args[1].Int
		}
		i := int(occ) - 1
		if occ < 0 {
			i = len(vals) + int(occ)
		}
		if i < 0 || i >= len(vals) {
			return Miss
		}
		*out = strSample([]byte(vals[i]))
		return Found
	}
}

// oidNames are OpenSSL's short names of the usual DN attributes.
var oidNames = map[string]string{"2.5.4.6": "C", "2.5.4.8": "ST", "2.5.4.7": "L", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.3": "CN", "2.5.4.5": "serialNumber", "2.5.4.9": "street", "2.5.4.17": "postalCode",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID"}

func oidName(oid asn1.ObjectIdentifier) string {
	if n, ok := oidNames[oid.String()]; ok {
		return n
	}
	return oid.String()
}

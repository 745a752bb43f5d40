// Package tlshello reads the first TLS record of a connection (without
// terminating TLS) for the layer-5 fetches HAProxy offers in tcp mode:
// req.ssl_hello_type, req.ssl_ver and req.ssl_sni.
package tlshello

import (
	"encoding/binary"
	"errors"
)

var (
	// ErrNeedMore: the bytes so far are a valid prefix; wait for more
	// (HAProxy's "may change" sample).
	ErrNeedMore = errors.New("tlshello: need more data")
	// ErrNotTLS: the bytes are not a TLS handshake the fetch understands.
	ErrNotTLS = errors.New("tlshello: not a TLS hello")
)

// isSSLv3Record reports whether b starts like an SSLv3/TLS record.
func isSSLv3Record(b []byte) bool { return (b[0] >= 0x14 && b[0] <= 0x17) || b[0] == 0xff }

// HelloType returns the handshake message type of the first record (1 for
// a ClientHello), as req.ssl_hello_type.
func HelloType(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, ErrNeedMore
	}
	if !isSSLv3Record(b) {
		return 0, ErrNotTLS
	}
	if len(b) < 9 {
		return 0, ErrNeedMore
	}
	if int(b[1])<<16+int(b[2]) < 0x30000 || b[0] != 0x16 {
		return 0, ErrNotTLS
	}
	return int(b[5]), nil
}

// Version returns major*65536+minor of the ClientHello's client_version
// (not the record layer's), as req.ssl_ver: TLS 1.2 is 0x30003.
func Version(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, ErrNeedMore
	}
	if !isSSLv3Record(b) {
		return 0, ErrNotTLS // SSLv2 hellos are not supported here
	}
	if len(b) < 11 {
		return 0, ErrNeedMore
	}
	if int(b[1])<<16+int(b[2]) < 0x30000 {
		return 0, ErrNotTLS
	}
	if l := int(binary.BigEndian.Uint16(b[3:5])); l < 6 || l > 1<<14+2048 {
		return 0, ErrNotTLS
	}
	return int(b[9])<<16 + int(b[10]), nil
}

// SNI returns the server_name of a ClientHello in the first record, "" when
// it has none, as req.ssl_sni.
func SNI(b []byte) (string, error) {
	if len(b) < 5 {
		if len(b) > 0 && b[0] != 0x16 {
			return "", ErrNotTLS
		}
		return "", ErrNeedMore
	}
	if b[0] != 0x16 || b[1] < 3 {
		return "", ErrNotTLS
	}
	recLen := int(binary.BigEndian.Uint16(b[3:5]))
	if recLen < 4 || recLen > 1<<14+2048 {
		return "", ErrNotTLS
	}
	if len(b) < 5+recLen {
		return "", ErrNeedMore
	}
	rec := b[5 : 5+recLen]
	if rec[0] != 1 { // ClientHello
		return "", ErrNotTLS
	}
	hsLen := int(rec[1])<<16 | int(rec[2])<<8 | int(rec[3])
	if hsLen > len(rec)-4 {
		// The hello spans records: HAProxy only looks at the first one.
		return "", ErrNotTLS
	}
	p := &reader{b: rec[4 : 4+hsLen]}
	p.skip(2 + 32)       // client_version, random
	p.skip(int(p.u8()))  // session_id
	p.skip(int(p.u16())) // cipher_suites
	p.skip(int(p.u8()))  // compression_methods
	if p.err || len(p.b) == 0 {
		if p.err {
			return "", ErrNotTLS
		}
		return "", nil // no extensions
	}
	ext := &reader{b: p.bytes(int(p.u16()))}
	for !p.err && !ext.err && len(ext.b) >= 4 {
		typ := ext.u16()
		body := &reader{b: ext.bytes(int(ext.u16()))}
		if ext.err {
			break
		}
		if typ != 0 { // server_name
			continue
		}
		list := &reader{b: body.bytes(int(body.u16()))}
		for !list.err && len(list.b) >= 3 {
			kind := list.u8()
			name := list.bytes(int(list.u16()))
			if !list.err && kind == 0 {
				return string(name), nil
			}
		}
		return "", ErrNotTLS
	}
	if p.err || ext.err {
		return "", ErrNotTLS
	}
	return "", nil
}

// reader consumes big-endian fields, remembering overruns.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) bytes(n int) []byte {
	if r.err || n > len(r.b) {
		r.err = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) skip(n int) { r.bytes(n) }

func (r *reader) u8() uint8 {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

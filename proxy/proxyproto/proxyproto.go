// Package proxyproto encodes and decodes the PROXY protocol header (v1 text
// and v2 binary) that carries the original client and destination addresses
// over a proxied TCP connection.
package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Header is a decoded PROXY header. Local is true for v2 LOCAL commands and
// v1 UNKNOWN: the connection carries no client address (health checks).
type Header struct {
	Version  int
	Local    bool
	Src, Dst netip.AddrPort
	// TLVs are a v2 header's type-length-value fields, in order, their
	// values copied out of the buffer.
	TLVs []TLV
}

// TLV is one type-length-value field of a v2 header.
type TLV struct {
	Type  byte
	Value []byte
}

// v2 TLV types.
const (
	TypeALPN      byte = 0x01
	TypeAuthority byte = 0x02
	TypeUniqueID  byte = 0x05
)

// Value returns the value of the first TLV of type t.
func (h *Header) Value(t byte) ([]byte, bool) {
	for _, v := range h.TLVs {
		if v.Type == t {
			return v.Value, true
		}
	}
	return nil, false
}

// MaxV2 is the longest v2 header: the fixed part and the largest length.
const MaxV2 = 16 + 0xffff

// AppendTLV appends a TLV field to a v2 header built by AppendV2,
// counting it in the header's length.
func AppendTLV(hdr []byte, t byte, value []byte) []byte {
	hdr = append(hdr, t)
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(value)))
	hdr = append(hdr, value...)
	binary.BigEndian.PutUint16(hdr[14:16], uint16(len(hdr)-16))
	return hdr
}

// ErrNeedMore means the buffer holds an incomplete header.
var ErrNeedMore = errors.New("proxyproto: incomplete header")

var sigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")

const maxV1 = 107 // the longest v1 line, CRLF included

// AppendV1 appends a v1 header for src->dst (UNKNOWN when they are not both
// IPv4 or both IPv6).
func AppendV1(b []byte, src, dst netip.AddrPort) []byte {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	switch {
	case s.Is4() && d.Is4():
		b = append(b, "PROXY TCP4 "...)
	case s.Is6() && d.Is6():
		b = append(b, "PROXY TCP6 "...)
	default:
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	b = s.AppendTo(b)
	b = append(b, ' ')
	b = d.AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(src.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(dst.Port()), 10)
	return append(b, "\r\n"...)
}

// AppendV2 appends a v2 PROXY (or LOCAL, when src is invalid) header.
func AppendV2(b []byte, src, dst netip.AddrPort) []byte {
	b = append(b, sigV2...)
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	switch {
	case src.IsValid() && s.Is4() && d.Is4():
		b = append(b, 0x21, 0x11, 0, 12)
		b = append(b, s.AsSlice()...)
		b = append(b, d.AsSlice()...)
	case src.IsValid() && s.Is6() && d.Is6():
		b = append(b, 0x21, 0x21, 0, 36)
		b = append(b, s.AsSlice()...)
		b = append(b, d.AsSlice()...)
	case src.IsValid():
		// Mixed families: map both to IPv6.
		b = append(b, 0x21, 0x21, 0, 36)
		s16, d16 := s.As16(), d.As16()
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
	default:
		return append(b, 0x20, 0x00, 0, 0)
	}
	b = binary.BigEndian.AppendUint16(b, src.Port())
	return binary.BigEndian.AppendUint16(b, dst.Port())
}

// Parse decodes the header at the start of buf and returns its length.
func Parse(buf []byte) (Header, int, error) {
	var h Header
	if len(buf) == 0 {
		return h, 0, ErrNeedMore
	}
	if buf[0] == '\r' {
		return parseV2(buf)
	}
	if buf[0] == 'P' {
		return parseV1(buf)
	}
	return h, 0, errors.New("proxyproto: no PROXY header")
}

func parseV1(buf []byte) (Header, int, error) {
	h := Header{Version: 1}
	n := min(len(buf), 6)
	if !bytes.Equal(buf[:n], []byte("PROXY ")[:n]) {
		return h, 0, errors.New("proxyproto: bad v1 signature")
	}
	end := bytes.Index(buf[:min(len(buf), maxV1)], []byte("\r\n"))
	if end < 0 {
		if len(buf) >= maxV1 {
			return h, 0, errors.New("proxyproto: v1 line too long")
		}
		return h, 0, ErrNeedMore
	}
	f := bytes.Split(buf[6:end], []byte(" "))
	switch string(f[0]) {
	case "UNKNOWN":
		h.Local = true
		return h, end + 2, nil
	case "TCP4", "TCP6":
	default:
		return h, 0, fmt.Errorf("proxyproto: bad v1 protocol %q", f[0])
	}
	if len(f) != 5 {
		return h, 0, errors.New("proxyproto: bad v1 field count")
	}
	src, err1 := netip.ParseAddr(string(f[1]))
	dst, err2 := netip.ParseAddr(string(f[2]))
	sp, err3 := strconv.ParseUint(string(f[3]), 10, 16)
	dp, err4 := strconv.ParseUint(string(f[4]), 10, 16)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return h, 0, fmt.Errorf("proxyproto: bad v1 address: %v", err)
	}
	if (string(f[0]) == "TCP4") != (src.Is4() && dst.Is4()) {
		return h, 0, errors.New("proxyproto: v1 address family mismatch")
	}
	h.Src = netip.AddrPortFrom(src, uint16(sp))
	h.Dst = netip.AddrPortFrom(dst, uint16(dp))
	return h, end + 2, nil
}

func parseV2(buf []byte) (Header, int, error) {
	h := Header{Version: 2}
	n := min(len(buf), len(sigV2))
	if !bytes.Equal(buf[:n], sigV2[:n]) {
		return h, 0, errors.New("proxyproto: bad v2 signature")
	}
	if len(buf) < 16 {
		return h, 0, ErrNeedMore
	}
	verCmd, fam := buf[12], buf[13]
	size := int(binary.BigEndian.Uint16(buf[14:16]))
	if verCmd>>4 != 2 {
		return h, 0, errors.New("proxyproto: bad v2 version")
	}
	if len(buf) < 16+size {
		return h, 0, ErrNeedMore
	}
	body := buf[16 : 16+size]
	switch verCmd & 0xf {
	case 0:
		h.Local = true
		return h, 16 + size, nil
	case 1:
	default:
		return h, 0, errors.New("proxyproto: bad v2 command")
	}
	addrLen := 0
	switch fam {
	case 0x11, 0x12:
		if len(body) < 12 {
			return h, 0, errors.New("proxyproto: short v2 IPv4 block")
		}
		h.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:]))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[4:8])), binary.BigEndian.Uint16(body[10:]))
		addrLen = 12
	case 0x21, 0x22:
		if len(body) < 36 {
			return h, 0, errors.New("proxyproto: short v2 IPv6 block")
		}
		h.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[0:16])), binary.BigEndian.Uint16(body[32:]))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[16:32])), binary.BigEndian.Uint16(body[34:]))
		addrLen = 36
	case 0x31, 0x32:
		// Unix sockets: no usable address, keep the connection's.
		h.Local, addrLen = true, min(216, len(body))
	default:
		// UNSPEC: no address block, keep the connection's.
		h.Local = true
	}
	tlvs, err := parseTLVs(body[addrLen:])
	if err != nil {
		return h, 0, err
	}
	h.TLVs = tlvs
	return h, 16 + size, nil
}

// parseTLVs reads the TLV fields after a v2 address block; a field that
// overruns the header is an error, as it is for the reference.
func parseTLVs(b []byte) ([]TLV, error) {
	var tlvs []TLV
	for len(b) > 0 {
		if len(b) < 3 {
			return nil, errors.New("proxyproto: truncated v2 TLV")
		}
		n := int(binary.BigEndian.Uint16(b[1:3]))
		if len(b) < 3+n {
			return nil, errors.New("proxyproto: v2 TLV overruns the header")
		}
		tlvs = append(tlvs, TLV{Type: b[0], Value: bytes.Clone(b[3 : 3+n])})
		b = b[3+n:]
	}
	return tlvs, nil
}

package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Protocol is the IP protocol number of VRRP.
const Protocol = 112

// TTL is the only hop limit a multicast advertisement may carry.
const TTL = 255

// TypeAdvertisement is the only VRRP packet type.
const TypeAdvertisement = 1

// Well-known multicast destinations.
var (
	Group4 = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	Group6 = netip.MustParseAddr("ff02::12")
)

// AuthType is the VRRPv2 authentication type.
type AuthType uint8

// Authentication types of RFC 2338 still understood by Keepalived.
const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1
	AuthAH   AuthType = 2
)

const (
	headerLen = 8 // version/type .. checksum
	authLen   = 8 // VRRPv2 authentication data
)

// Decoding errors. Each malformation has its own value so callers can count
// them apart; errors returned by Unmarshal wrap one of these.
var (
	ErrTooShort      = errors.New("vrrp: packet too short")
	ErrLength        = errors.New("vrrp: length does not match the address count")
	ErrVersion       = errors.New("vrrp: unknown version")
	ErrType          = errors.New("vrrp: unknown packet type")
	ErrChecksum      = errors.New("vrrp: bad checksum")
	ErrFamily        = errors.New("vrrp: address family does not fit the version")
	ErrInterval      = errors.New("vrrp: advertisement interval out of range")
	ErrTooManyAddrs  = errors.New("vrrp: more than 255 addresses")
	ErrMixedFamilies = errors.New("vrrp: addresses of different families")
)

// Packet is one VRRP advertisement.
type Packet struct {
	Version  int // 2 or 3
	Type     int // TypeAdvertisement
	VRID     uint8
	Priority uint8
	// Interval is the advertisement interval: whole seconds (1-255) in
	// version 2, centiseconds (up to 40.95 s) in version 3.
	Interval time.Duration
	// Checksum is the value read by Unmarshal; Marshal computes its own.
	Checksum uint16
	Addrs    []netip.Addr
	// AuthType and AuthData exist only in version 2.
	AuthType AuthType
	AuthData [8]byte
}

// Password returns a PASS authentication field as Keepalived builds it from
// auth_pass: the first 8 bytes, zero-padded.
func Password(s string) [8]byte {
	var b [8]byte
	copy(b[:], s)
	return b
}

// addrLen is the size of one address of the family of src (v3) or IPv4.
func addrLen(version int, is6 bool) int {
	if version == 3 && is6 {
		return 16
	}
	return 4
}

// Len is the encoded size of a packet with n addresses.
func Len(version, n int, is6 bool) int {
	l := headerLen + n*addrLen(version, is6)
	if version == 2 {
		l += authLen
	}
	return l
}

// Marshal encodes p. src and dst are the IP source and destination: version 3
// folds them into the checksum (its pseudo-header) and takes the address
// family from them; version 2 ignores them and is IPv4 only.
func (p *Packet) Marshal(src, dst netip.Addr) ([]byte, error) {
	is6 := src.Is6() && !src.Is4In6()
	switch p.Version {
	case 2:
		if is6 {
			return nil, fmt.Errorf("%w: VRRPv2 carries IPv4 only", ErrFamily)
		}
		if p.Interval < time.Second || p.Interval > 255*time.Second || p.Interval%time.Second != 0 {
			return nil, fmt.Errorf("%w: %v (v2: whole seconds 1-255)", ErrInterval, p.Interval)
		}
	case 3:
		cs := p.Interval / (10 * time.Millisecond)
		if cs < 1 || cs > 0xfff || p.Interval%(10*time.Millisecond) != 0 {
			return nil, fmt.Errorf("%w: %v (v3: 10ms steps up to 40.95s)", ErrInterval, p.Interval)
		}
	default:
		return nil, fmt.Errorf("%w: %d", ErrVersion, p.Version)
	}
	if len(p.Addrs) > 255 {
		return nil, ErrTooManyAddrs
	}
	for _, a := range p.Addrs {
		if a.Is6() != is6 || a.Is4In6() {
			return nil, fmt.Errorf("%w: %v", ErrMixedFamilies, a)
		}
	}
	typ := p.Type
	if typ == 0 {
		typ = TypeAdvertisement
	}
	b := make([]byte, Len(p.Version, len(p.Addrs), is6))
	b[0] = byte(p.Version<<4) | byte(typ&0x0f)
	b[1] = p.VRID
	b[2] = p.Priority
	b[3] = byte(len(p.Addrs))
	if p.Version == 2 {
		b[4] = byte(p.AuthType)
		b[5] = byte(p.Interval / time.Second)
	} else {
		binary.BigEndian.PutUint16(b[4:], uint16(p.Interval/(10*time.Millisecond)))
	}
	off := headerLen
	for _, a := range p.Addrs {
		off += copy(b[off:], a.AsSlice())
	}
	if p.Version == 2 {
		copy(b[off:], p.AuthData[:])
	}
	binary.BigEndian.PutUint16(b[6:], checksum(p.Version, b, src, dst))
	return b, nil
}

// Unmarshal decodes a VRRP message (the IP payload) received from src to
// dst, verifying its structure and checksum.
func Unmarshal(b []byte, src, dst netip.Addr) (*Packet, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooShort, len(b))
	}
	p := &Packet{
		Version:  int(b[0] >> 4),
		Type:     int(b[0] & 0x0f),
		VRID:     b[1],
		Priority: b[2],
		Checksum: binary.BigEndian.Uint16(b[6:]),
	}
	is6 := src.Is6() && !src.Is4In6()
	switch p.Version {
	case 2:
		if is6 {
			return nil, fmt.Errorf("%w: VRRPv2 from %v", ErrFamily, src)
		}
		p.AuthType = AuthType(b[4])
		p.Interval = time.Duration(b[5]) * time.Second
	case 3:
		p.Interval = time.Duration(binary.BigEndian.Uint16(b[4:])&0x0fff) * 10 * time.Millisecond
	default:
		return nil, fmt.Errorf("%w: %d", ErrVersion, p.Version)
	}
	if p.Type != TypeAdvertisement {
		return nil, fmt.Errorf("%w: %d", ErrType, p.Type)
	}
	n := int(b[3])
	if want := Len(p.Version, n, is6); len(b) != want {
		return nil, fmt.Errorf("%w: %d bytes for %d addresses, want %d", ErrLength, len(b), n, want)
	}
	if sum := checksum(p.Version, b, src, dst); sum != p.Checksum {
		return nil, fmt.Errorf("%w: got %#04x, want %#04x", ErrChecksum, p.Checksum, sum)
	}
	al := addrLen(p.Version, is6)
	p.Addrs = make([]netip.Addr, n)
	for i := range p.Addrs {
		p.Addrs[i], _ = netip.AddrFromSlice(b[headerLen+i*al : headerLen+(i+1)*al])
	}
	if p.Version == 2 {
		copy(p.AuthData[:], b[headerLen+n*al:])
	}
	return p, nil
}

// checksum computes the VRRP checksum of b with its checksum field taken as
// zero: over the message alone in version 2, with the IP pseudo-header in
// version 3.
func checksum(version int, b []byte, src, dst netip.Addr) uint16 {
	var sum uint32
	if version == 3 {
		sum = add(sum, src.AsSlice())
		sum = add(sum, dst.AsSlice())
		// Protocol and length: 4+4+1+1+2 bytes in IPv4's pseudo-header,
		// 16+16+4+3+1 in IPv6's; both sum the same 16-bit words.
		sum += Protocol + uint32(len(b))
	}
	sum = add(sum, b[:6])
	sum = add(sum, b[8:])
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// add folds b into a one's-complement sum as big-endian 16-bit words.
func add(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

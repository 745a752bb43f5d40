package vrrp

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"
)

// Reason says why a received advertisement was dropped (or, for
// ReasonAddrList, only complained about). Each has its own counter.
type Reason int

// Reasons in the order Keepalived checks them.
const (
	ReasonNone        Reason = iota
	ReasonLength             // message length does not fit the address count
	ReasonTTL                // multicast advert with a TTL other than 255
	ReasonVersion            // not our VRRP version
	ReasonAuthType           // not our authentication type (v2)
	ReasonPassword           // PASS data differs from ours (v2)
	ReasonInterval           // advertisement interval differs from ours (v2)
	ReasonType               // not an advertisement
	ReasonTotalLength        // IP total length disagrees with what arrived
	ReasonChecksum           // bad checksum
	ReasonCast               // multicast where unicast was configured, or the reverse
	ReasonAddrList           // addresses differ from ours: logged, packet still used
	NumReasons
)

var reasonNames = [NumReasons]string{"ok", "length", "ttl", "version", "auth_type", "password",
	"interval", "type", "total_length", "checksum", "cast", "addr_list"}

func (r Reason) String() string {
	if r < 0 || r >= NumReasons {
		return fmt.Sprintf("reason(%d)", int(r))
	}
	return reasonNames[r]
}

// Drops reports whether a packet failing with r must be ignored (an
// address list mismatch only under vrrp_strict: see Check).
func (r Reason) Drops() bool { return r != ReasonNone && r != ReasonAddrList }

// Expect is what an instance accepts.
type Expect struct {
	Name     string // instance name, for log lines
	Version  int
	AuthType AuthType
	AuthData [8]byte
	Interval time.Duration
	Unicast  bool
	Addrs    []netip.Addr
	// SkipAddrCheck is vrrp_skip_check_adv_addr: the address list is
	// not compared.
	SkipAddrCheck bool
	// Strict is vrrp_strict: an address list mismatch drops the packet
	// instead of only being logged.
	Strict bool
}

// Received is one IP datagram carrying VRRP as the socket delivered it.
type Received struct {
	Src, Dst  netip.Addr
	TTL       int
	TOS       int    // IPv4 type of service (0xc0 from Keepalived)
	HeaderLen int    // IP header length (0 for IPv6, whose kernel strips it)
	TotalLen  int    // IPv4 total length field (0 for IPv6)
	Msg       []byte // the VRRP message
}

// VRID returns the virtual router ID of a received message, false when it is
// too short to carry one. Advertisements for VRIDs no instance owns are
// ignored before any check.
func VRID(msg []byte) (uint8, bool) {
	if len(msg) < 2 {
		return 0, false
	}
	return msg[1], true
}

// Check validates r for e in Keepalived's order and returns the decoded
// packet (nil when dropped), the first failed check and a log line in the
// reference's words ("" when all is well).
func Check(e *Expect, r Received) (*Packet, Reason, string) {
	msg := r.Msg
	is6 := r.Src.Is6() && !r.Src.Is4In6()
	if len(msg) < headerLen {
		return nil, ReasonLength, fmt.Sprintf("(%s) vrrp packet too short, length %d and expect %d",
			e.Name, len(msg), Len(e.Version, 0, is6))
	}
	version := int(msg[0] >> 4)
	lenVersion := version
	if version != 2 && version != 3 {
		lenVersion = e.Version
	}
	if want := Len(lenVersion, int(msg[3]), is6); len(msg) != want {
		dir := "short"
		if len(msg) > want {
			dir = "long"
		}
		return nil, ReasonLength, fmt.Sprintf("(%s) vrrp packet too %s, length %d and expect %d", e.Name, dir, len(msg), want)
	}
	if !e.Unicast && r.TTL != TTL {
		return nil, ReasonTTL, fmt.Sprintf("(%s) invalid TTL/HL. Received %d and expect %d", e.Name, r.TTL, TTL)
	}
	if version != e.Version {
		return nil, ReasonVersion, fmt.Sprintf("(%s) wrong version. Received %d and expect %d", e.Name, version, e.Version)
	}
	if version == 2 {
		if at := AuthType(msg[4]); at != e.AuthType {
			return nil, ReasonAuthType, fmt.Sprintf("(%s) received a %d auth, expecting %d!", e.Name, at, e.AuthType)
		}
		if e.AuthType == AuthPass && !bytes.Equal(msg[len(msg)-authLen:], e.AuthData[:]) {
			return nil, ReasonPassword, fmt.Sprintf("(%s) received an invalid passwd!", e.Name)
		}
		if got := time.Duration(msg[5]) * time.Second; got != e.Interval {
			return nil, ReasonInterval, fmt.Sprintf("(%s) advertisement interval mismatch mine=%d sec rcv'd=%d sec",
				e.Name, e.Interval/time.Second, msg[5])
		}
	}
	if typ := int(msg[0] & 0x0f); typ != TypeAdvertisement {
		return nil, ReasonType, fmt.Sprintf("(%s) Invalid packet type. %d and expect %d", e.Name, typ, TypeAdvertisement)
	}
	if !is6 && r.TotalLen != r.HeaderLen+len(msg) {
		return nil, ReasonTotalLength, fmt.Sprintf("(%s) ip_tot_len mismatch against received length. %d and received %d",
			e.Name, r.TotalLen, r.HeaderLen+len(msg))
	}
	p, err := Unmarshal(msg, r.Src, r.Dst)
	if err != nil {
		return nil, ReasonChecksum, fmt.Sprintf("(%s) Invalid VRRPv%d checksum", e.Name, version)
	}
	if multicast := r.Dst.IsMulticast(); multicast == e.Unicast {
		want, got := "mult", "un"
		if e.Unicast {
			want, got = got, want
		}
		return nil, ReasonCast, fmt.Sprintf("(%s) Expected %sicast packet but received %sicast packet", e.Name, want, got)
	}
	if e.SkipAddrCheck {
		return p, ReasonNone, ""
	}
	line := ""
	if len(p.Addrs) != len(e.Addrs) {
		line = fmt.Sprintf("(%s) expected %d VIPs but received %d", e.Name, len(e.Addrs), len(p.Addrs))
	} else {
		for _, a := range e.Addrs {
			if !contains(p.Addrs, a) {
				line = fmt.Sprintf("(%s) ip address associated with VRID %d not present in MASTER advert: %s", e.Name, p.VRID, a)
				break
			}
		}
	}
	switch {
	case line == "":
		return p, ReasonNone, ""
	case e.Strict:
		return nil, ReasonAddrList, line
	}
	return p, ReasonAddrList, line
}

func contains(list []netip.Addr, a netip.Addr) bool {
	for _, b := range list {
		if a == b {
			return true
		}
	}
	return false
}

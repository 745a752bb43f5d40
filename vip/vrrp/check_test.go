package vrrp

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	ours := Expect{Name: "VI_1", Version: 2, AuthType: AuthPass, AuthData: Password("s3cr3t"),
		Interval: time.Second, Addrs: []netip.Addr{refVIP}}
	good := unhex(t, "2133 9601 0101 3277 0ad50064 7333 6372 3374 0000")
	// reseal recomputes the checksum after a field was changed, so that
	// only the intended check fails.
	reseal := func(f func(b []byte) []byte) []byte {
		b := f(append([]byte(nil), good...))
		if len(b) >= headerLen {
			b[6], b[7] = 0, 0
			sum := checksum(2, b, refSrc, Group4)
			b[6], b[7] = byte(sum>>8), byte(sum)
		}
		return b
	}
	for _, tc := range []struct {
		desc   string
		exp    func(e *Expect)
		rcv    func(r *Received)
		reason Reason
		log    string
	}{
		{desc: "valid", reason: ReasonNone},
		{desc: "too short", rcv: func(r *Received) { r.Msg = good[:5] }, reason: ReasonLength,
			log: "(VI_1) vrrp packet too short, length 5 and expect 16"},
		{desc: "count larger than the packet", rcv: func(r *Received) { r.Msg = reseal(func(b []byte) []byte { b[3] = 2; return b }) },
			reason: ReasonLength, log: "(VI_1) vrrp packet too short, length 20 and expect 24"},
		{desc: "trailing bytes", rcv: func(r *Received) { r.Msg = append(append([]byte(nil), good...), 0, 0, 0, 0) },
			reason: ReasonLength, log: "(VI_1) vrrp packet too long, length 24 and expect 20"},
		{desc: "TTL 64", rcv: func(r *Received) { r.TTL = 64 }, reason: ReasonTTL,
			log: "(VI_1) invalid TTL/HL. Received 64 and expect 255"},
		{desc: "TTL 64 over unicast is fine", exp: func(e *Expect) { e.Unicast = true },
			rcv: func(r *Received) { r.TTL, r.Dst = 64, netip.MustParseAddr("10.213.0.2") }, reason: ReasonNone},
		{desc: "version 3 to a v2 instance", exp: func(e *Expect) { e.Version = 3 }, reason: ReasonVersion,
			log: "(VI_1) wrong version. Received 2 and expect 3"},
		{desc: "no auth sent to PASS", rcv: func(r *Received) { r.Msg = reseal(func(b []byte) []byte { b[4] = 0; return b }) },
			reason: ReasonAuthType, log: "(VI_1) received a 0 auth, expecting 1!"},
		{desc: "wrong password", exp: func(e *Expect) { e.AuthData = Password("secret") }, reason: ReasonPassword,
			log: "(VI_1) received an invalid passwd!"},
		{desc: "password compared on 8 bytes", exp: func(e *Expect) { e.AuthData = Password("s3cr3t\x00\x00ignored") }, reason: ReasonNone},
		{desc: "no auth ignores the data", exp: func(e *Expect) { e.AuthType = AuthNone },
			rcv:    func(r *Received) { r.Msg = reseal(func(b []byte) []byte { b[4] = 0; return b }) },
			reason: ReasonNone},
		{desc: "interval mismatch", exp: func(e *Expect) { e.Interval = 3 * time.Second }, reason: ReasonInterval,
			log: "(VI_1) advertisement interval mismatch mine=3 sec rcv'd=1 sec"},
		{desc: "type 2", rcv: func(r *Received) { r.Msg = reseal(func(b []byte) []byte { b[0] = 0x22; return b }) },
			reason: ReasonType, log: "(VI_1) Invalid packet type. 2 and expect 1"},
		{desc: "total length mismatch", rcv: func(r *Received) { r.TotalLen = 60 }, reason: ReasonTotalLength,
			log: "(VI_1) ip_tot_len mismatch against received length. 60 and received 40"},
		{desc: "bad checksum", rcv: func(r *Received) { r.Msg = append([]byte(nil), good...); r.Msg[7] ^= 0x10 },
			reason: ReasonChecksum, log: "(VI_1) Invalid VRRPv2 checksum"},
		{desc: "unicast instance gets multicast", exp: func(e *Expect) { e.Unicast = true }, reason: ReasonCast,
			log: "(VI_1) Expected unicast packet but received multicast packet"},
		{desc: "multicast instance gets unicast", rcv: func(r *Received) { r.Dst = netip.MustParseAddr("10.213.0.2") },
			reason: ReasonCast, log: "(VI_1) Expected multicast packet but received unicast packet"},
		{desc: "other VIP list", exp: func(e *Expect) { e.Addrs = []netip.Addr{netip.MustParseAddr("10.213.0.99")} },
			reason: ReasonAddrList, log: "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.213.0.99"},
		{desc: "more VIPs expected", exp: func(e *Expect) { e.Addrs = append(e.Addrs, netip.MustParseAddr("10.213.0.99")) },
			reason: ReasonAddrList, log: "(VI_1) expected 2 VIPs but received 1"},
		{desc: "vrrp_strict drops another VIP list", exp: func(e *Expect) {
			e.Strict, e.Addrs = true, []netip.Addr{netip.MustParseAddr("10.213.0.99")}
		}, reason: ReasonAddrList, log: "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.213.0.99"},
		{desc: "vrrp_skip_check_adv_addr", exp: func(e *Expect) { e.Addrs, e.SkipAddrCheck = nil, true }, reason: ReasonNone},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			e := ours
			if tc.exp != nil {
				tc.exp(&e)
			}
			r := Received{Src: refSrc, Dst: Group4, TTL: 255, HeaderLen: 20, TotalLen: 40, Msg: good}
			if tc.rcv != nil {
				tc.rcv(&r)
			}
			p, reason, log := Check(&e, r)
			if reason != tc.reason || log != tc.log {
				t.Fatalf("Check = %v %q, want %v %q", reason, log, tc.reason, tc.log)
			}
			if (p == nil) != (reason.Drops() || (e.Strict && reason == ReasonAddrList)) {
				t.Fatalf("packet %v returned with reason %v", p, reason)
			}
			if p != nil && (p.VRID != 51 || p.Priority != 150) {
				t.Fatalf("decoded %+v", p)
			}
		})
	}
}

func TestReasonNames(t *testing.T) {
	seen := map[string]bool{}
	for r := ReasonNone; r < NumReasons; r++ {
		s := r.String()
		if s == "" || strings.HasPrefix(s, "reason(") || seen[s] {
			t.Fatalf("reason %d has name %q", r, s)
		}
		seen[s] = true
	}
}

func TestVRID(t *testing.T) {
	if _, ok := VRID([]byte{0x21}); ok {
		t.Fatal("VRID of a 1-byte message")
	}
	if id, ok := VRID([]byte{0x21, 51}); !ok || id != 51 {
		t.Fatalf("VRID = %d %v", id, ok)
	}
}

// FuzzCheck runs arbitrary datagrams through the receive checks: no panic,
// and a packet is returned exactly when it is not dropped.
func FuzzCheck(f *testing.F) {
	f.Add(unhex(f, "2133 9601 0101 3277 0ad50064 7333 6372 3374 0000"), 255, 40, false)
	f.Add(unhex(f, "3133 9601 0064 0000 0ad50064"), 255, 32, true)
	f.Fuzz(func(t *testing.T, msg []byte, ttl, totalLen int, strict bool) {
		e := Expect{Name: "VI_1", Version: 2, AuthType: AuthPass, AuthData: Password("s3cr3t"),
			Interval: time.Second, Addrs: []netip.Addr{refVIP}, Strict: strict}
		for _, v := range []int{2, 3} {
			e.Version = v
			p, reason, line := Check(&e, Received{Src: refSrc, Dst: Group4, TTL: ttl, HeaderLen: 20, TotalLen: totalLen, Msg: msg})
			if (reason == ReasonNone) != (line == "") {
				t.Fatalf("reason %v with log %q", reason, line)
			}
			dropped := reason.Drops() || (strict && reason == ReasonAddrList)
			if (p == nil) != dropped {
				t.Fatalf("reason %v but packet %v", reason, p)
			}
		}
	})
}

package peers

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"fulcrum/proxy/stick"
)

func TestVarint(t *testing.T) {
	for _, tc := range []struct {
		desc string
		v    uint64
		wire []byte
	}{
		{desc: "small", v: 7, wire: []byte{7}},
		{desc: "239", v: 239, wire: []byte{239}},
		{desc: "240", v: 240, wire: []byte{0xf0, 0x00}},
		// Values seen from the reference: a data-type bitfield, an
		// expiry of 30m, and a period of 10s.
		{desc: "bitfield", v: 525333, wire: []byte{0xf5, 0xb2, 0xff, 0x00}},
		{desc: "30m", v: 1800000, wire: []byte{0xf0, 0xe5, 0xed, 0x05}},
		{desc: "10s", v: 10000, wire: []byte{0xf0, 0xe2, 0x03}},
		{desc: "max", v: ^uint64(0), wire: nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b := AppendVarint(nil, tc.v)
			if tc.wire != nil && !bytes.Equal(b, tc.wire) {
				t.Errorf("encode %d = % x, want % x", tc.v, b, tc.wire)
			}
			v, n, err := Varint(b)
			if err != nil || v != tc.v || n != len(b) {
				t.Errorf("decode % x = %d,%d,%v", b, v, n, err)
			}
		})
	}
}

// A reference define and update, as captured from haproxy 2.6 for
// "stick-table type ip ... expire 30m store
// server_id,gpc0,conn_cnt,http_req_rate(10s),server_key".
var refDefine = []byte{0x0a, 0x82, 0x12, 0x01, 0x02, 'b', 'e', 0x04, 0x04, 0xf5, 0xb2, 0xff, 0x00, 0xf0, 0xe5, 0xed, 0x05, 0x0a, 0xf0, 0xe2, 0x03}
var refUpdate = []byte{0x0a, 0x80, 0x13, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x03, 0x07, 0x00, 0xf6, 0x9e, 0xd8, 0x8d, 0x07, 0x00, 0x00, 0x00}

func TestReferenceMessages(t *testing.T) {
	r := bufio.NewReader(bytes.NewReader(append(append([]byte{}, refDefine...), refUpdate...)))
	m, err := ReadMsg(r)
	if err != nil || m.Type != TblDefine {
		t.Fatalf("define: %v %v", m, err)
	}
	d, err := ParseDefine(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != 1 || d.Name != "be" || d.KeyType != KeyIPv4 || d.KeySize != 4 || d.Expire != 1800000 || d.Period[10] != 10000 || d.Data != 1<<0|1<<2|1<<4|1<<10|1<<19 {
		t.Fatalf("define = %+v", d)
	}
	if again := AppendMsg(nil, Msg{Class: ClassTable, Type: TblDefine, Payload: d.Append(nil)}); !bytes.Equal(again, refDefine) {
		t.Errorf("define re-encoded % x, want % x", again, refDefine)
	}
	m, err = ReadMsg(r)
	if err != nil || m.Type != TblUpdate {
		t.Fatalf("update: %v %v", m, err)
	}
	u, err := ParseUpdate(m.Type, m.Payload, &d, 0)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != 1 || !bytes.Equal(u.Key, []byte{1, 2, 3, 4}) || u.Values[0].N != 3 || u.Values[2].N != 7 || u.Values[19].Dict.ID != 0 {
		t.Fatalf("update = %+v", u)
	}
	if again := AppendMsg(nil, Msg{Class: ClassTable, Type: TblUpdate, Payload: AppendUpdate(nil, &d, &u, true)}); !bytes.Equal(again, refUpdate) {
		t.Errorf("update re-encoded % x, want % x", again, refUpdate)
	}
}

func TestUpdateRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		desc string
		def  Define
		u    Update
		typ  byte
	}{
		{desc: "string timed with dict", def: Define{Name: "t", KeyType: KeyString, KeySize: 33, Data: 1<<19 | 1<<3, Period: [NumData]uint64{3: 1000}},
			u: Update{ID: 9, Timed: true, Expire: 5000, Key: []byte("abc"), Values: [NumData]Value{3: {Freq: Freq{Age: 10, Curr: 2, Prev: 1}}, 19: {Dict: Dict{ID: 4, Value: "s1", HasValue: true}}}}, typ: TblUpdateTimed},
		{desc: "binary with arrays", def: Define{Name: "b", KeyType: KeyBinary, KeySize: 3, Data: 1<<22 | 1<<24, Count: [NumData]uint64{22: 2, 24: 1}, Period: [NumData]uint64{24: 10}},
			u: Update{ID: 1, Key: []byte{1, 2, 3}, Values: [NumData]Value{22: {Array: []uint64{5, 6}}, 24: {Array: []uint64{1, 2, 3}}}}, typ: TblUpdate},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dp := tc.def.Append(nil)
			d, err := ParseDefine(dp)
			if err != nil {
				t.Fatal(err)
			}
			p := AppendUpdate(nil, &d, &tc.u, true)
			u, err := ParseUpdate(tc.typ, p, &d, 0)
			if err != nil {
				t.Fatal(err)
			}
			if again := AppendUpdate(nil, &d, &u, true); !bytes.Equal(again, p) {
				t.Errorf("round trip % x != % x", again, p)
			}
		})
	}
}

func TestHelloStatus(t *testing.T) {
	known := func(n string) bool { return n == "B" }
	for _, tc := range []struct {
		desc  string
		lines [3]string
		want  int
	}{
		{desc: "ok", lines: [3]string{"HAProxyS 2.1", "A", "B 1 1"}, want: 200},
		{desc: "older minor", lines: [3]string{"HAProxyS 2.0", "A", "B 1 1"}, want: 200},
		{desc: "not the protocol", lines: [3]string{"GET / HTTP/1.1", "A", "B 1 1"}, want: 501},
		{desc: "bad version", lines: [3]string{"HAProxyS 3.0", "A", "B 1 1"}, want: 502},
		{desc: "not us", lines: [3]string{"HAProxyS 2.1", "C", "B 1 1"}, want: 503},
		{desc: "unknown peer", lines: [3]string{"HAProxyS 2.1", "A", "Z 1 1"}, want: 504},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := helloStatus(tc.lines, "A", known); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
}

// FuzzDecode feeds arbitrary bytes to the message reader and the table
// message decoders: no panic, and what decodes re-encodes.
func FuzzDecode(f *testing.F) {
	f.Add(refDefine)
	f.Add(refUpdate)
	f.Add(append(append([]byte{}, refDefine...), refUpdate...))
	f.Add([]byte{0x0a, 0x84, 0x05, 0x01, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		def := Define{KeyType: KeyString, KeySize: 33, Data: 1<<19 | 1<<3 | 1<<22 | 1<<24, Count: [NumData]uint64{22: 2, 24: 1}}
		for {
			m, err := ReadMsg(r)
			if err != nil {
				return
			}
			switch m.Type {
			case TblDefine:
				if d, err := ParseDefine(m.Payload); err == nil {
					if _, err := ParseDefine(d.Append(nil)); err != nil {
						t.Fatalf("define does not re-decode: %v", err)
					}
					def = d
				}
			case TblUpdate, TblIncUpdate, TblUpdateTimed, TblIncUpdateTimed:
				if u, err := ParseUpdate(m.Type, m.Payload, &def, 0); err == nil {
					if _, err := ParseUpdate(TblUpdateTimed, AppendUpdate(nil, &def, &u, true), &def, 0); err != nil && u.Timed {
						t.Fatalf("update does not re-decode: %v", err)
					}
				}
			case TblAck:
				ParseAck(m.Payload)
			}
		}
	})
}

// FuzzSession feeds arbitrary messages to a session's receiver, with
// tables of every key type behind it: nothing panics and the session
// ends when the input does.
func FuzzSession(f *testing.F) {
	f.Add(append(append([]byte{}, refDefine...), refUpdate...))
	f.Add([]byte{0, 0, 0, 1, 0, 4})
	f.Add(append(append([]byte{}, refUpdate...), refDefine...))
	var tables []Table
	for i, k := range []stick.KeyType{stick.IP, stick.IPv6, stick.Integer, stick.String, stick.Binary} {
		sp := stick.Spec{Name: "be", Key: k, KeyLen: 8, Size: 10}
		sp.Store(stick.GPC0, 0)
		sp.Store(stick.HTTPReqRate, time.Second)
		sp.Store(stick.ServerKey, 0)
		if i > 0 {
			sp.Name = fmt.Sprintf("t%d", i)
		}
		tables = append(tables, Table{Name: sp.Name, Table: stick.New(sp, nil)})
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := &Node{cfg: Config{Tables: tables}, sessions: map[string]*session{}, resyncCh: make(chan struct{})}
		for i, tb := range tables {
			n.defs = append(n.defs, defineOf(uint64(i+1), tb))
		}
		ours, theirs := net.Pipe()
		s := newSession(n, "x", ours)
		go func() {
			theirs.Write(b)
			theirs.Close()
		}()
		go io.Copy(io.Discard, theirs)
		s.receiver()
		ours.Close()
	})
}

package spop

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
)

// The varint's bytes are SPOE.txt's encoding: below 240 one byte, then
// 4 bits in the first byte and 7 in each following one.
func TestVarint(t *testing.T) {
	for _, tc := range []struct {
		desc string
		n    uint64
		enc  []byte
	}{
		{"zero", 0, []byte{0}},
		{"239", 239, []byte{239}},
		{"240", 240, []byte{240, 0}},
		{"2287", 2287, []byte{255, 127}},
		{"2288", 2288, []byte{240, 128, 0}},
		{"max", ^uint64(0), nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			b := AppendVarint(nil, tc.n)
			if tc.enc != nil && !bytes.Equal(b, tc.enc) {
				t.Errorf("encoded %v, want %v", b, tc.enc)
			}
			n, used, err := Varint(b)
			if err != nil || n != tc.n || used != len(b) {
				t.Errorf("decoded %d (%d bytes, %v)", n, used, err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	msgs := []Message{{Name: "m1", Args: []KV{
		{"null", Value{Type: Null}},
		{"t", Value{Type: Bool, Int: 1}},
		{"f", Value{Type: Bool}},
		{"i32", Value{Type: Int32, Int: -5}},
		{"u32", Value{Type: Uint32, Int: 4000000000}},
		{"i64", Value{Type: Int64, Int: -1 << 40}},
		{"u64", Value{Type: Uint64, Int: 1 << 50}},
		{"v4", Value{Type: IPv4, IP: netip.MustParseAddr("127.0.0.1")}},
		{"v6", Value{Type: IPv6, IP: netip.MustParseAddr("::1")}},
		{"s", Value{Type: String, Bytes: []byte("hello")}},
		{"b", Value{Type: Binary, Bytes: []byte{0, 1, 2}}},
	}}, {Name: "m2"}}
	var payload []byte
	for i := range msgs {
		payload = AppendMessage(payload, &msgs[i])
	}
	wire := AppendFrame(nil, &Frame{Type: Notify, Flags: FlagFin, StreamID: 300, FrameID: 7, Payload: payload})
	f, err := ReadFrame(bytes.NewReader(wire), 16384)
	if err != nil || f.Type != Notify || f.StreamID != 300 || f.FrameID != 7 || f.Flags != FlagFin {
		t.Fatalf("frame %+v, %v", f, err)
	}
	got, err := ReadMessages(f.Payload)
	if err != nil || !reflect.DeepEqual(got, msgs) {
		t.Fatalf("messages\n%v\nwant\n%v (%v)", got, msgs, err)
	}
	acts := []Action{{Kind: SetVar, Scope: ScopeTxn, Name: "x", Value: Value{Type: String, Bytes: []byte("ban")}},
		{Kind: UnsetVar, Scope: ScopeSess, Name: "y"}}
	var ab []byte
	for i := range acts {
		ab = AppendAction(ab, &acts[i])
	}
	gotA, err := ReadActions(ab)
	if err != nil || !reflect.DeepEqual(gotA, acts) {
		t.Fatalf("actions %v (%v)", gotA, err)
	}
}

func TestReadFrameTooBig(t *testing.T) {
	wire := AppendFrame(nil, &Frame{Type: Ack, Payload: make([]byte, 100)})
	if _, err := ReadFrame(bytes.NewReader(wire), 50); err == nil {
		t.Fatal("a frame over the limit was read")
	}
}

func FuzzDecode(f *testing.F) {
	var p []byte
	p = AppendMessage(p, &Message{Name: "m", Args: []KV{{"a", Value{Type: String, Bytes: []byte("x")}}}})
	f.Add(p)
	f.Add(AppendAction(nil, &Action{Kind: SetVar, Scope: ScopeTxn, Name: "v", Value: Value{Type: Int32, Int: 3}}))
	f.Add(AppendKV(nil, KV{"version", Value{Type: String, Bytes: []byte("2.0")}}))
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if msgs, err := ReadMessages(b); err == nil {
			var again []byte
			for i := range msgs {
				again = AppendMessage(again, &msgs[i])
			}
			if _, err := ReadMessages(again); err != nil {
				t.Fatalf("re-encoded messages do not decode: %v", err)
			}
		}
		ReadActions(b)
		ReadKVs(b)
		ParseFrame(b)
		ReadFrame(bytes.NewReader(b), 1<<16)
	})
}

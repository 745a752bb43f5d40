// Package peers replicates stick tables between HAProxy peers in the
// reference's wire protocol ("HAProxyS 2.1"): the text handshake, then
// binary messages (table definitions, entry updates, acknowledgements,
// heartbeats and resynchronisation control).
package peers

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Message classes and types, as HAProxy numbers them.
const (
	ClassControl = 0
	ClassError   = 1
	ClassTable   = 10

	CtrlResyncReq      = 0
	CtrlResyncFinished = 1
	CtrlResyncPartial  = 2
	CtrlResyncConfirm  = 3
	CtrlHeartbeat      = 4

	ErrProtocol  = 0
	ErrSizeLimit = 1

	TblUpdate          = 0x80
	TblIncUpdate       = 0x81
	TblDefine          = 0x82
	TblSwitch          = 0x83
	TblAck             = 0x84
	TblUpdateTimed     = 0x85
	TblIncUpdateTimed  = 0x86
	typeHasPayload     = 0x80 // types from here on carry a length and payload
	maxPayload         = 1 << 16
	maxVarintBytes     = 10
	protocolLine       = "HAProxyS 2.1"
	statusSuccess      = 200
	statusTryAgain     = 300
	statusErrProto     = 501
	statusErrVersion   = 502
	statusErrLocalName = 503
	statusErrPeer      = 504
)

var errShort = errors.New("peers: truncated message")

// AppendVarint appends v in HAProxy's peers integer encoding: below 240
// one byte; otherwise a first byte carrying the low 4 bits over 240, then
// 7 bits a byte with the top bit set on all but the last.
func AppendVarint(b []byte, v uint64) []byte {
	if v < 240 {
		return append(b, byte(v))
	}
	b = append(b, byte(v)|0xf0)
	v = (v - 240) >> 4
	for v >= 128 {
		b = append(b, byte(v)|0x80)
		v = (v - 128) >> 7
	}
	return append(b, byte(v))
}

// Varint decodes one integer from b and returns it with the bytes used.
func Varint(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errShort
	}
	v := uint64(b[0])
	if v < 240 {
		return v, 1, nil
	}
	shift := uint(4)
	for i := 1; ; i++ {
		if i >= len(b) || i >= maxVarintBytes {
			return 0, 0, errShort
		}
		v += uint64(b[i]) << shift
		shift += 7
		if b[i] < 128 {
			return v, i + 1, nil
		}
	}
}

// Msg is one binary message.
type Msg struct {
	Class, Type byte
	Payload     []byte
}

func (m Msg) String() string {
	return fmt.Sprintf("msg %d/%#x (%d bytes)", m.Class, m.Type, len(m.Payload))
}

// hasPayload tells whether a message of this class and type carries a
// length and payload (stick-table messages from 0x80 on).
func hasPayload(class, typ byte) bool { return class >= ClassTable && typ >= typeHasPayload }

// AppendMsg appends the wire form of m.
func AppendMsg(b []byte, m Msg) []byte {
	b = append(b, m.Class, m.Type)
	if hasPayload(m.Class, m.Type) {
		b = AppendVarint(b, uint64(len(m.Payload)))
		b = append(b, m.Payload...)
	}
	return b
}

// ReadMsg reads one message; its payload is a fresh slice.
func ReadMsg(r *bufio.Reader) (Msg, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Msg{}, err
	}
	m := Msg{Class: hdr[0], Type: hdr[1]}
	if !hasPayload(m.Class, m.Type) {
		return m, nil
	}
	var lb []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			return m, err
		}
		lb = append(lb, c)
		if n, _, err := Varint(lb); err == nil {
			if n > maxPayload {
				return m, fmt.Errorf("peers: message of %d bytes is too large", n)
			}
			m.Payload = make([]byte, n)
			_, err := io.ReadFull(r, m.Payload)
			return m, err
		}
		if len(lb) >= maxVarintBytes {
			return m, errors.New("peers: bad message length")
		}
	}
}

// decoder reads a payload field by field; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) varint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n, err := Varint(d.b)
	if err != nil {
		d.err = err
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	out := d.b[:n:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u32() uint32 {
	b := d.bytes(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// Package spop is the SPOP wire format (HAProxy's Stream Processing
// Offload Protocol, version 2.0): length-prefixed frames, varints, typed
// data, key/value lists, messages and actions.
package spop

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
)

// FrameType is a frame's first byte.
type FrameType uint8

// Frame types.
const (
	HAProxyHello      FrameType = 1
	HAProxyDisconnect FrameType = 2
	Notify            FrameType = 3
	AgentHello        FrameType = 101
	AgentDisconnect   FrameType = 102
	Ack               FrameType = 103
)

// Frame flags.
const (
	FlagFin   uint32 = 1
	FlagAbort uint32 = 2
)

// Frame is one decoded frame; Payload is the bytes after the metadata.
type Frame struct {
	Type     FrameType
	Flags    uint32
	StreamID uint64
	FrameID  uint64
	Payload  []byte
}

// ErrMalformed is returned for bytes that are not a valid encoding.
var ErrMalformed = errors.New("spop: malformed data")

// AppendVarint encodes n as SPOP's variable-length integer.
func AppendVarint(dst []byte, n uint64) []byte {
	if n < 240 {
		return append(dst, byte(n))
	}
	dst = append(dst, byte(n)|240)
	n = (n - 240) >> 4
	for n >= 128 {
		dst = append(dst, byte(n)|128)
		n = (n - 128) >> 7
	}
	return append(dst, byte(n))
}

// Varint decodes a variable-length integer at the start of b and
// returns it with the bytes it used.
func Varint(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrMalformed
	}
	n := uint64(b[0])
	if n < 240 {
		return n, 1, nil
	}
	shift := uint(4)
	for i := 1; i < len(b) && i <= 10; i++ {
		n += uint64(b[i]) << shift
		if b[i] < 128 {
			return n, i + 1, nil
		}
		shift += 7
	}
	return 0, 0, ErrMalformed
}

// AppendFrame encodes f, with its 4-byte length prefix.
func AppendFrame(dst []byte, f *Frame) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, byte(f.Type))
	dst = binary.BigEndian.AppendUint32(dst, f.Flags)
	dst = AppendVarint(dst, f.StreamID)
	dst = AppendVarint(dst, f.FrameID)
	dst = append(dst, f.Payload...)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// ParseFrame decodes a frame's bytes (without the length prefix).
func ParseFrame(b []byte) (*Frame, error) {
	if len(b) < 5 {
		return nil, ErrMalformed
	}
	f := &Frame{Type: FrameType(b[0]), Flags: binary.BigEndian.Uint32(b[1:5])}
	b = b[5:]
	var n int
	var err error
	if f.StreamID, n, err = Varint(b); err != nil {
		return nil, err
	}
	b = b[n:]
	if f.FrameID, n, err = Varint(b); err != nil {
		return nil, err
	}
	f.Payload = b[n:]
	return f, nil
}

// ReadFrame reads one frame no longer than max bytes.
func ReadFrame(r io.Reader, max int) (*Frame, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if int64(n) > int64(max) {
		return nil, fmt.Errorf("spop: frame of %d bytes exceeds %d", n, max)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return ParseFrame(b)
}

// DataType is a typed value's type.
type DataType uint8

// Data types.
const (
	Null DataType = iota
	Bool
	Int32
	Uint32
	Int64
	Uint64
	IPv4
	IPv6
	String
	Binary
)

var typeNames = [...]string{"null", "bool", "int32", "uint32", "int64", "uint64", "ipv4", "ipv6", "string", "binary"}

func (t DataType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Value is one typed value: Int holds the integers and booleans (0/1),
// IP the addresses, Bytes strings and binaries.
type Value struct {
	Type  DataType
	Int   int64
	IP    netip.Addr
	Bytes []byte
}

// String shows a value for tests and logs.
func (v Value) String() string {
	switch v.Type {
	case Null:
		return "null"
	case Bool:
		return fmt.Sprintf("bool:%v", v.Int != 0)
	case Int32, Int64:
		return fmt.Sprintf("%s:%d", v.Type, v.Int)
	case Uint32, Uint64:
		return fmt.Sprintf("%s:%d", v.Type, uint64(v.Int))
	case IPv4, IPv6:
		return fmt.Sprintf("%s:%s", v.Type, v.IP)
	}
	return fmt.Sprintf("%s:%q", v.Type, v.Bytes)
}

// AppendString encodes a length-prefixed string.
func AppendString(dst []byte, s []byte) []byte {
	return append(AppendVarint(dst, uint64(len(s))), s...)
}

func readString(b []byte) ([]byte, int, error) {
	n, used, err := Varint(b)
	if err != nil || n > uint64(len(b)-used) {
		return nil, 0, ErrMalformed
	}
	return b[used : used+int(n)], used + int(n), nil
}

// AppendValue encodes a typed value.
func AppendValue(dst []byte, v Value) []byte {
	switch v.Type {
	case Bool:
		if v.Int != 0 {
			return append(dst, byte(Bool)|0x10)
		}
		return append(dst, byte(Bool))
	case Int32, Int64, Uint32, Uint64:
		return AppendVarint(append(dst, byte(v.Type)), uint64(v.Int))
	case IPv4:
		a := v.IP.As4()
		return append(append(dst, byte(IPv4)), a[:]...)
	case IPv6:
		a := v.IP.As16()
		return append(append(dst, byte(IPv6)), a[:]...)
	case String, Binary:
		return AppendString(append(dst, byte(v.Type)), v.Bytes)
	}
	return append(dst, byte(Null))
}

// ReadValue decodes a typed value at the start of b.
func ReadValue(b []byte) (Value, int, error) {
	if len(b) == 0 {
		return Value{}, 0, ErrMalformed
	}
	v := Value{Type: DataType(b[0] & 0x0f)}
	flags := b[0] >> 4
	rest := b[1:]
	switch v.Type {
	case Null:
		return v, 1, nil
	case Bool:
		if flags&1 != 0 {
			v.Int = 1
		}
		return v, 1, nil
	case Int32, Int64, Uint32, Uint64:
		n, used, err := Varint(rest)
		if err != nil {
			return v, 0, err
		}
		v.Int = int64(n)
		if v.Type == Int32 {
			v.Int = int64(int32(n))
		}
		if v.Type == Uint32 {
			v.Int = int64(uint32(n))
		}
		return v, 1 + used, nil
	case IPv4:
		if len(rest) < 4 {
			return v, 0, ErrMalformed
		}
		v.IP = netip.AddrFrom4([4]byte(rest[:4]))
		return v, 5, nil
	case IPv6:
		if len(rest) < 16 {
			return v, 0, ErrMalformed
		}
		v.IP = netip.AddrFrom16([16]byte(rest[:16]))
		return v, 17, nil
	case String, Binary:
		s, used, err := readString(rest)
		if err != nil {
			return v, 0, err
		}
		v.Bytes = s
		return v, 1 + used, nil
	}
	return v, 0, ErrMalformed
}

// KV is one entry of a key/value list (a hello or disconnect payload, a
// message's arguments).
type KV struct {
	Name  string
	Value Value
}

// AppendKV encodes one entry.
func AppendKV(dst []byte, kv KV) []byte {
	return AppendValue(AppendString(dst, []byte(kv.Name)), kv.Value)
}

// ReadKVs decodes a whole payload of key/value entries.
func ReadKVs(b []byte) ([]KV, error) {
	var out []KV
	for len(b) > 0 {
		kv, n, err := readKV(b)
		if err != nil {
			return nil, err
		}
		out = append(out, kv)
		b = b[n:]
	}
	return out, nil
}

func readKV(b []byte) (KV, int, error) {
	name, n, err := readString(b)
	if err != nil {
		return KV{}, 0, err
	}
	v, m, err := ReadValue(b[n:])
	if err != nil {
		return KV{}, 0, err
	}
	return KV{Name: string(name), Value: v}, n + m, nil
}

// Message is one NOTIFY message with its arguments.
type Message struct {
	Name string
	Args []KV
}

// AppendMessage encodes a message: name, argument count, arguments.
func AppendMessage(dst []byte, m *Message) []byte {
	dst = AppendString(dst, []byte(m.Name))
	dst = append(dst, byte(len(m.Args)))
	for _, a := range m.Args {
		dst = AppendKV(dst, a)
	}
	return dst
}

// ReadMessages decodes a NOTIFY payload.
func ReadMessages(b []byte) ([]Message, error) {
	var out []Message
	for len(b) > 0 {
		name, n, err := readString(b)
		if err != nil || n >= len(b) {
			return nil, ErrMalformed
		}
		m := Message{Name: string(name)}
		count := int(b[n])
		b = b[n+1:]
		for i := 0; i < count; i++ {
			kv, used, err := readKV(b)
			if err != nil {
				return nil, err
			}
			m.Args = append(m.Args, kv)
			b = b[used:]
		}
		out = append(out, m)
	}
	return out, nil
}

// Action kinds of an ACK.
const (
	SetVar   uint8 = 1
	UnsetVar uint8 = 2
)

// Variable scopes of an action.
const (
	ScopeProc uint8 = iota
	ScopeSess
	ScopeTxn
	ScopeReq
	ScopeRes
)

// ScopeNames are the scopes as HAProxy writes them in variable names.
var ScopeNames = [...]string{"proc", "sess", "txn", "req", "res"}

// Action is one ACK action: set-var (with Value) or unset-var.
type Action struct {
	Kind  uint8
	Scope uint8
	Name  string
	Value Value
}

// AppendAction encodes an action.
func AppendAction(dst []byte, a *Action) []byte {
	nargs := byte(3)
	if a.Kind == UnsetVar {
		nargs = 2
	}
	dst = append(dst, a.Kind, nargs, a.Scope)
	dst = AppendString(dst, []byte(a.Name))
	if a.Kind == SetVar {
		dst = AppendValue(dst, a.Value)
	}
	return dst
}

// ReadActions decodes an ACK payload. An action of an unknown kind is
// skipped with its arguments, as the protocol asks.
func ReadActions(b []byte) ([]Action, error) {
	var out []Action
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, ErrMalformed
		}
		a := Action{Kind: b[0]}
		nargs := int(b[1])
		b = b[2:]
		if a.Kind != SetVar && a.Kind != UnsetVar {
			for i := 0; i < nargs; i++ {
				_, n, err := ReadValue(b)
				if err != nil {
					return nil, err
				}
				b = b[n:]
			}
			continue
		}
		if len(b) < 1 {
			return nil, ErrMalformed
		}
		a.Scope = b[0]
		if a.Scope > ScopeRes {
			return nil, ErrMalformed
		}
		name, n, err := readString(b[1:])
		if err != nil {
			return nil, err
		}
		a.Name = string(name)
		b = b[1+n:]
		if a.Kind == SetVar {
			v, m, err := ReadValue(b)
			if err != nil {
				return nil, err
			}
			a.Value = v
			b = b[m:]
		}
		out = append(out, a)
	}
	return out, nil
}

// Lookup finds a key in a key/value list.
func Lookup(kvs []KV, name string) (Value, bool) {
	for _, kv := range kvs {
		if kv.Name == name {
			return kv.Value, true
		}
	}
	return Value{}, false
}

// Status codes of the disconnect frames.
const (
	StatusNone            = 0
	StatusIO              = 1
	StatusTimeout         = 2
	StatusTooBig          = 3
	StatusInvalid         = 4
	StatusNoVersion       = 5
	StatusNoFrameSize     = 6
	StatusNoCapabilities  = 7
	StatusBadVersion      = 8
	StatusBadFrameSize    = 9
	StatusFragNotSupport  = 10
	StatusInterlacedFrags = 11
	StatusFrameIDNotFound = 12
	StatusResAlloc        = 13
	StatusUnknown         = 99
)

// StatusText is the reason HAProxy gives for a status code in its
// disconnect frames.
func StatusText(code int) string {
	switch code {
	case StatusNone:
		return "normal"
	case StatusIO:
		return "I/O error"
	case StatusTimeout:
		return "a timeout occurred"
	case StatusTooBig:
		return "frame is too big"
	case StatusInvalid:
		return "invalid frame received"
	case StatusNoVersion:
		return "version value not found"
	case StatusNoFrameSize:
		return "max-frame-size value not found"
	case StatusNoCapabilities:
		return "capabilities value not found"
	case StatusBadVersion:
		return "unsupported version"
	case StatusBadFrameSize:
		return "max-frame-size too big or too small"
	case StatusFragNotSupport:
		return "fragmentation not supported"
	case StatusInterlacedFrags:
		return "invalid interlaced frames"
	case StatusFrameIDNotFound:
		return "frame-id not found"
	case StatusResAlloc:
		return "resource allocation error"
	}
	return "an unknown error occurred"
}

package peers

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Key types on the wire (HAProxy's sample types).
const (
	KeySInt   = 2
	KeyIPv4   = 4
	KeyIPv6   = 5
	KeyString = 6
	KeyBinary = 7
)

// stdType is how a data type's value travels.
type stdType uint8

const (
	stdUint stdType = iota // one integer (also the signed and 64-bit ones)
	stdFreq                // a frequency counter: age of its period, current, previous
	stdDict                // a dictionary entry (server_key)
	stdUintArray
	stdFreqArray
)

// NumData is the number of data types HAProxy 2.6 defines; the first 22
// are those the stick package stores, in the same order.
const NumData = 25

var dataStd = [NumData]stdType{
	0: stdUint, 1: stdUint, 2: stdUint, 3: stdFreq, 4: stdUint, 5: stdFreq, 6: stdUint, 7: stdUint,
	8: stdFreq, 9: stdUint, 10: stdFreq, 11: stdUint, 12: stdFreq, 13: stdUint, 14: stdFreq, 15: stdUint,
	16: stdFreq, 17: stdUint, 18: stdFreq, 19: stdDict, 20: stdUint, 21: stdFreq, 22: stdUintArray,
	23: stdUintArray, 24: stdFreqArray,
}

// Define announces a table: the sender's id for it, its name, key type
// and size, the data types it stores (a bit each), its expiry in ms, and
// the parameters of the types that take one (rate periods, array sizes).
type Define struct {
	ID      uint64
	Name    string
	KeyType uint64
	KeySize uint64
	Data    uint64
	Expire  uint64
	Period  [NumData]uint64 // ms, for frequency counters
	Count   [NumData]uint64 // elements, for arrays
}

// Has tells whether the definition stores data type d.
func (d *Define) Has(t int) bool { return t < 64 && d.Data&(1<<uint(t)) != 0 }

// Append appends the define message's payload.
func (d *Define) Append(b []byte) []byte {
	b = AppendVarint(b, d.ID)
	b = AppendVarint(b, uint64(len(d.Name)))
	b = append(b, d.Name...)
	b = AppendVarint(b, d.KeyType)
	b = AppendVarint(b, d.KeySize)
	b = AppendVarint(b, d.Data)
	b = AppendVarint(b, d.Expire)
	for t := 0; t < NumData; t++ {
		if !d.Has(t) {
			continue
		}
		switch dataStd[t] {
		case stdFreq:
			b = AppendVarint(AppendVarint(b, uint64(t)), d.Period[t])
		case stdUintArray:
			b = AppendVarint(AppendVarint(b, uint64(t)), d.Count[t])
		case stdFreqArray:
			b = AppendVarint(AppendVarint(AppendVarint(b, uint64(t)), d.Count[t]), d.Period[t])
		}
	}
	return b
}

// ParseDefine decodes a define message's payload.
func ParseDefine(p []byte) (Define, error) {
	dec := decoder{b: p}
	var d Define
	d.ID = dec.varint()
	d.Name = string(dec.bytes(dec.varint()))
	d.KeyType = dec.varint()
	d.KeySize = dec.varint()
	d.Data = dec.varint()
	d.Expire = dec.varint()
	for dec.err == nil && len(dec.b) > 0 {
		t := dec.varint()
		if t >= NumData {
			return d, fmt.Errorf("peers: table '%s' defines unknown data type %d", d.Name, t)
		}
		switch dataStd[t] {
		case stdFreq:
			d.Period[t] = dec.varint()
		case stdUintArray:
			d.Count[t] = dec.varint()
		case stdFreqArray:
			d.Count[t] = dec.varint()
			d.Period[t] = dec.varint()
		default:
			return d, fmt.Errorf("peers: table '%s' gives a parameter to data type %d", d.Name, t)
		}
	}
	if dec.err != nil {
		return d, dec.err
	}
	if d.KeySize > 1<<16 {
		return d, fmt.Errorf("peers: table '%s' has a key of %d bytes", d.Name, d.KeySize)
	}
	if d.Data>>NumData != 0 {
		return d, fmt.Errorf("peers: table '%s' stores unknown data types %#x", d.Name, d.Data)
	}
	return d, nil
}

// Freq is a frequency counter on the wire: how long ago its current
// period started (ms), and its current and previous periods' counts.
type Freq struct {
	Age, Curr, Prev uint64
}

// Dict is a server_key value: an id in the sender's dictionary cache,
// with the value when the sender sends it (not only the id). ID 0 is no
// value.
type Dict struct {
	ID       uint64
	Value    string
	HasValue bool
}

// Value is one data type's value in an update.
type Value struct {
	N     uint64
	Freq  Freq
	Dict  Dict
	Array []uint64 // arrays of counters; frequency arrays come as triples
}

// Update is an entry update. ID is the update's sequence number (implied
// as the previous one plus one in the incremental forms). Expire is the
// entry's remaining time in ms in the timed forms.
type Update struct {
	ID     uint32
	Timed  bool
	Expire uint32
	Key    []byte // as the table stores it (see the key functions)
	Values [NumData]Value
}

// AppendUpdate appends an update message's payload for table def; with
// withID the update's id is written (the non-incremental forms).
func AppendUpdate(b []byte, def *Define, u *Update, withID bool) []byte {
	if withID {
		b = binary.BigEndian.AppendUint32(b, u.ID)
	}
	if u.Timed {
		b = binary.BigEndian.AppendUint32(b, u.Expire)
	}
	switch def.KeyType {
	case KeyString:
		b = AppendVarint(b, uint64(len(u.Key)))
		b = append(b, u.Key...)
	default:
		b = append(b, u.Key...)
	}
	for t := 0; t < NumData; t++ {
		if !def.Has(t) {
			continue
		}
		v := &u.Values[t]
		switch dataStd[t] {
		case stdUint:
			b = AppendVarint(b, v.N)
		case stdFreq:
			b = AppendVarint(AppendVarint(AppendVarint(b, v.Freq.Age), v.Freq.Curr), v.Freq.Prev)
		case stdDict:
			b = appendDict(b, v.Dict)
		case stdUintArray, stdFreqArray:
			n := def.Count[t]
			if dataStd[t] == stdFreqArray {
				n *= 3
			}
			for i := uint64(0); i < n; i++ {
				var x uint64
				if i < uint64(len(v.Array)) {
					x = v.Array[i]
				}
				b = AppendVarint(b, x)
			}
		}
	}
	return b
}

// appendDict writes a dictionary value: its length, then the cache id,
// then (when sent) the value's length and bytes.
func appendDict(b []byte, d Dict) []byte {
	if d.ID == 0 {
		return AppendVarint(b, 0)
	}
	inner := AppendVarint(nil, d.ID)
	if d.HasValue {
		inner = AppendVarint(inner, uint64(len(d.Value)))
		inner = append(inner, d.Value...)
	}
	b = AppendVarint(b, uint64(len(inner)))
	return append(b, inner...)
}

// ParseUpdate decodes an update message of type typ for table def; prev
// is the previous update's id (the incremental forms add one to it).
func ParseUpdate(typ byte, p []byte, def *Define, prev uint32) (Update, error) {
	dec := decoder{b: p}
	var u Update
	switch typ {
	case TblUpdate, TblUpdateTimed:
		u.ID = dec.u32()
	default:
		u.ID = prev + 1
	}
	if typ == TblUpdateTimed || typ == TblIncUpdateTimed {
		u.Timed = true
		u.Expire = dec.u32()
	}
	switch def.KeyType {
	case KeyString:
		n := dec.varint()
		if def.KeySize > 0 && n >= def.KeySize {
			return u, fmt.Errorf("peers: string key of %d bytes in table '%s' (size %d)", n, def.Name, def.KeySize)
		}
		u.Key = dec.bytes(n)
	case KeySInt, KeyIPv4:
		u.Key = dec.bytes(4)
	default:
		u.Key = dec.bytes(def.KeySize)
	}
	for t := 0; t < NumData && dec.err == nil; t++ {
		if !def.Has(t) {
			continue
		}
		v := &u.Values[t]
		switch dataStd[t] {
		case stdUint:
			v.N = dec.varint()
		case stdFreq:
			v.Freq = Freq{Age: dec.varint(), Curr: dec.varint(), Prev: dec.varint()}
		case stdDict:
			v.Dict = parseDict(&dec)
		case stdUintArray, stdFreqArray:
			n := def.Count[t]
			if dataStd[t] == stdFreqArray {
				n *= 3
			}
			if n > uint64(len(dec.b)) {
				return u, errShort
			}
			v.Array = make([]uint64, n)
			for i := range v.Array {
				v.Array[i] = dec.varint()
			}
		}
	}
	if dec.err != nil {
		return u, dec.err
	}
	return u, nil
}

func parseDict(dec *decoder) Dict {
	n := dec.varint()
	if n == 0 || dec.err != nil {
		return Dict{}
	}
	inner := decoder{b: dec.bytes(n)}
	if dec.err != nil {
		return Dict{}
	}
	d := Dict{ID: inner.varint()}
	if inner.err == nil && len(inner.b) > 0 {
		d.Value = string(inner.bytes(inner.varint()))
		d.HasValue = true
	}
	if inner.err != nil || d.ID == 0 {
		dec.err = errors.New("peers: bad dictionary value")
	}
	return d
}

// AppendAck appends an ack payload: the table id the receiver gave it
// (from its define) and the last update id received.
func AppendAck(b []byte, remoteID uint64, last uint32) []byte {
	return binary.BigEndian.AppendUint32(AppendVarint(b, remoteID), last)
}

// ParseAck decodes an ack payload.
func ParseAck(p []byte) (id uint64, last uint32, err error) {
	dec := decoder{b: p}
	id = dec.varint()
	last = dec.u32()
	return id, last, dec.err
}

// ParseSwitch decodes a switch payload: the table id that later updates
// are about.
func ParseSwitch(p []byte) (uint64, error) {
	dec := decoder{b: p}
	id := dec.varint()
	return id, dec.err
}

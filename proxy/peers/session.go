package peers

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"fulcrum/proxy/stick"
)

// dictCacheSize is the reference's number of server_key cache slots.
const dictCacheSize = 128

// session is one connection with a remote peer, after the handshake.
type session struct {
	n    *Node
	name string
	conn net.Conn

	mu       sync.Mutex
	pending  []map[string]struct{} // keys to send, by table
	teach    bool                  // send RESYNCFINISHED once pending is sent
	acks     bool                  // received updates not acknowledged yet
	ctrl     []byte                // control messages to send
	wake     chan struct{}
	defined  []bool   // tables we defined on this session
	sent     []uint32 // last update id sent, by table
	cur      int      // table the last update was about (-1: none)
	dictTx   map[string]uint64
	nextDict uint64

	// receive side (receiver goroutine only, except acks under mu)
	remote  map[uint64]*remoteTable
	current *remoteTable
	dictRx  map[uint64]string
	// confirmed, when set, is closed by the peer's RESYNCCONFIRM.
	confirmed chan struct{}
}

// remoteTable is a table the peer defined, with our table of the same
// name (nil when we have none that matches).
type remoteTable struct {
	def   Define
	local *Table
	last  uint32
	acked uint32
}

func newSession(n *Node, name string, c net.Conn) *session {
	s := &session{n: n, name: name, conn: c, wake: make(chan struct{}, 1), cur: -1,
		dictTx: map[string]uint64{}, remote: map[uint64]*remoteTable{}, dictRx: map[uint64]string{}}
	s.pending = make([]map[string]struct{}, len(n.cfg.Tables))
	for i := range s.pending {
		s.pending[i] = map[string]struct{}{}
	}
	s.defined = make([]bool, len(n.cfg.Tables))
	s.sent = make([]uint32, len(n.cfg.Tables))
	return s
}

func (s *session) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// mark queues an entry to send (called under the table's lock).
func (s *session) mark(table int, key string) {
	s.mu.Lock()
	s.pending[table][key] = struct{}{}
	s.mu.Unlock()
	s.kick()
}

func (s *session) sendCtrl(typ byte) {
	s.mu.Lock()
	s.ctrl = append(s.ctrl, ClassControl, typ)
	s.mu.Unlock()
	s.kick()
}

// serve runs the session: the sender in its own goroutine, the receiver
// here. wantResync asks the peer for its tables first.
func (s *session) serve(wantResync bool) error {
	if wantResync {
		s.sendCtrl(CtrlResyncReq)
	}
	s.pushAll()
	done := make(chan struct{})
	sendErr := make(chan error, 1)
	go func() { sendErr <- s.sender(done) }()
	err := s.receiver()
	close(done)
	s.conn.Close()
	if serr := <-sendErr; err == nil {
		err = serr
	}
	return err
}

// sender writes queued control messages, updates and acks, and a
// heartbeat when it has been quiet for a while.
func (s *session) sender(done chan struct{}) error {
	w := bufio.NewWriterSize(s.conn, 16<<10)
	hb := time.NewTimer(heartbeatEvery)
	defer hb.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-hb.C:
			w.Write([]byte{ClassControl, CtrlHeartbeat})
		case <-s.wake:
		}
		if err := s.flushPending(w); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		hb.Reset(heartbeatEvery)
	}
}

// flushPending writes what is queued: control messages, acks, then the
// changed entries (and RESYNCFINISHED after a teach).
func (s *session) flushPending(w *bufio.Writer) error {
	s.mu.Lock()
	ctrl := s.ctrl
	s.ctrl = nil
	acks := s.acks
	s.acks = false
	var todo [][]string
	for _, m := range s.pending {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		clear(m)
		todo = append(todo, keys)
	}
	teach := s.teach
	s.teach = false
	s.mu.Unlock()

	w.Write(ctrl)
	if acks {
		s.writeAcks(w)
	}
	var payload []byte
	for ti, keys := range todo {
		t := s.n.cfg.Tables[ti]
		def := &s.n.defs[ti]
		for _, k := range keys {
			d, ok := t.Table.Snapshot(k)
			if !ok {
				continue // gone: the reference sends no removals
			}
			if !s.defined[ti] {
				payload = def.Append(payload[:0])
				w.Write(AppendMsg(nil, Msg{Class: ClassTable, Type: TblDefine, Payload: payload}))
				s.defined[ti] = true
				s.cur = ti
			} else if s.cur != ti {
				payload = AppendVarint(payload[:0], def.ID)
				w.Write(AppendMsg(nil, Msg{Class: ClassTable, Type: TblSwitch, Payload: payload}))
				s.cur = ti
			}
			s.sent[ti]++
			u := s.updateOf(t.Table, def, k, &d)
			u.ID = s.sent[ti]
			payload = AppendUpdate(payload[:0], def, &u, true)
			typ := byte(TblUpdate)
			if u.Timed {
				typ = TblUpdateTimed
			}
			if _, err := w.Write(AppendMsg(nil, Msg{Class: ClassTable, Type: typ, Payload: payload})); err != nil {
				return err
			}
		}
	}
	if teach {
		w.Write([]byte{ClassControl, CtrlResyncFinished})
	}
	return nil
}

// updateOf builds the update of one entry; server_key values go through
// the dictionary cache (sent in full each time, which receivers accept).
func (s *session) updateOf(t *stick.Table, def *Define, key string, d *stick.Data) Update {
	u := Update{Timed: true, Key: wireKey(def.KeyType, key)}
	u.Expire = uint32(d.Expire)
	if t.Spec().Expire <= 0 {
		u.Timed = false
	}
	for i := 0; i < stick.NumTypes; i++ {
		if !def.Has(i) {
			continue
		}
		switch dataStd[i] {
		case stdFreq:
			r := d.Rate[i]
			u.Values[i].Freq = Freq{Age: uint64(uint32(r.Age)), Curr: r.Curr, Prev: r.Prev}
		case stdDict:
			if d.SrvKey != "" {
				id := s.dictTx[d.SrvKey]
				if id == 0 {
					s.nextDict = s.nextDict%dictCacheSize + 1
					id = s.nextDict
					for k, v := range s.dictTx {
						if v == id {
							delete(s.dictTx, k)
						}
					}
					s.dictTx[d.SrvKey] = id
				}
				u.Values[i].Dict = Dict{ID: id, Value: d.SrvKey, HasValue: true}
			}
		default:
			u.Values[i].N = d.Cnt[i]
		}
	}
	return u
}

// wireKey converts a stored key to its wire form: integer keys are kept
// in host order and travel in network order.
func wireKey(keyType uint64, key string) []byte {
	b := []byte(key)
	if keyType == KeySInt && len(b) == 4 {
		binary.BigEndian.PutUint32(b, binary.LittleEndian.Uint32(b))
	}
	return b
}

func (s *session) writeAcks(w *bufio.Writer) {
	for id, rt := range s.remote {
		if rt.last != rt.acked {
			rt.acked = rt.last
			w.Write(AppendMsg(nil, Msg{Class: ClassTable, Type: TblAck, Payload: AppendAck(nil, id, rt.last)}))
		}
	}
}

// receiver reads and applies the peer's messages until the session ends.
func (s *session) receiver() error {
	r := bufio.NewReaderSize(s.conn, 16<<10)
	for {
		s.conn.SetReadDeadline(time.Now().Add(rxTimeout))
		m, err := ReadMsg(r)
		if err != nil {
			return err
		}
		if err := s.handle(m); err != nil {
			s.conn.Write([]byte{ClassError, ErrProtocol})
			return err
		}
		if r.Buffered() == 0 {
			s.mu.Lock()
			need := s.acks
			s.mu.Unlock()
			if need {
				s.kick()
			}
		}
	}
}

func (s *session) handle(m Msg) error {
	switch m.Class {
	case ClassControl:
		switch m.Type {
		case CtrlResyncReq:
			s.teachAll()
		case CtrlResyncFinished, CtrlResyncPartial:
			s.n.markResynced()
			s.sendCtrl(CtrlResyncConfirm)
		case CtrlResyncConfirm:
			if s.confirmed != nil {
				close(s.confirmed)
				s.confirmed = nil
			}
		}
		return nil
	case ClassError:
		return fmt.Errorf("peer '%s' reported error %d", s.name, m.Type)
	case ClassTable:
	default:
		return nil // reserved classes are skipped
	}
	switch m.Type {
	case TblDefine:
		d, err := ParseDefine(m.Payload)
		if err != nil {
			return err
		}
		rt := &remoteTable{def: d, local: s.n.match(&d)}
		s.mu.Lock()
		s.remote[d.ID] = rt
		s.mu.Unlock()
		s.current = rt
	case TblSwitch:
		id, err := ParseSwitch(m.Payload)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.current = s.remote[id]
		s.mu.Unlock()
		if s.current == nil {
			return fmt.Errorf("switch to undefined table %d", id)
		}
	case TblUpdate, TblIncUpdate, TblUpdateTimed, TblIncUpdateTimed:
		rt := s.current
		if rt == nil {
			return fmt.Errorf("update before any table definition")
		}
		u, err := ParseUpdate(m.Type, m.Payload, &rt.def, rt.last)
		if err != nil {
			return err
		}
		s.apply(rt, &u)
		s.mu.Lock()
		rt.last = u.ID
		s.acks = true
		s.mu.Unlock()
	case TblAck:
		if _, _, err := ParseAck(m.Payload); err != nil {
			return err
		}
	}
	return nil
}

// match finds our table for a peer's definition: same name, key type
// and key size, as the reference requires.
func (n *Node) match(d *Define) *Table {
	for i := range n.defs {
		l := &n.defs[i]
		if l.Name == d.Name && l.KeyType == d.KeyType && l.KeySize == d.KeySize {
			return &n.cfg.Tables[i]
		}
	}
	return nil
}

// apply stores an update in our table.
func (s *session) apply(rt *remoteTable, u *Update) {
	for i := 0; i < NumData; i++ {
		if rt.def.Has(i) && dataStd[i] == stdDict && u.Values[i].Dict.HasValue {
			s.dictRx[u.Values[i].Dict.ID] = u.Values[i].Dict.Value
		}
	}
	if rt.local == nil {
		return
	}
	t := rt.local.Table
	key := []byte(u.Key)
	switch rt.def.KeyType {
	case KeySInt:
		binary.LittleEndian.PutUint32(key, binary.BigEndian.Uint32(key))
	case KeyString:
		if n := t.Spec().KeyLen; len(key) > n {
			key = key[:n]
		}
	}
	var d stick.Data
	var have [stick.NumTypes]bool
	for i := 0; i < stick.NumTypes; i++ {
		if !rt.def.Has(i) {
			continue
		}
		// conn_cur counts this process's connections: like the
		// reference, a peer's value is not taken.
		have[i] = i != int(stick.ConnCur)
		v := &u.Values[i]
		switch dataStd[i] {
		case stdFreq:
			d.Rate[i] = stick.Rate{Age: int64(v.Freq.Age), Curr: v.Freq.Curr, Prev: v.Freq.Prev}
		case stdDict:
			if v.Dict.ID != 0 {
				d.SrvKey = s.dictRx[v.Dict.ID]
			}
		default:
			d.Cnt[i] = v.N
		}
	}
	exp := int64(-1)
	if u.Timed {
		exp = int64(u.Expire)
	}
	t.Merge(key, &d, &have, exp)
}

// teachAll queues every entry of every table, then RESYNCFINISHED.
func (s *session) teachAll() {
	s.pushAll()
	s.mu.Lock()
	s.teach = true
	s.mu.Unlock()
	s.kick()
}

// pushAll queues every entry of every table: a new session brings the
// peer up to date with what changed while none was up.
func (s *session) pushAll() {
	for i, t := range s.n.cfg.Tables {
		keys := t.Table.Keys()
		s.mu.Lock()
		for _, k := range keys {
			s.pending[i][k] = struct{}{}
		}
		s.mu.Unlock()
	}
	s.kick()
}

package peers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"fulcrum/proxy/stick"
)

// Timers of the reference: a heartbeat every 3s, and a session with
// nothing received for 5s is dead.
const (
	heartbeatEvery = 3 * time.Second
	rxTimeout      = 5 * time.Second
	handshakeLimit = 5 * time.Second
)

// Peer is a remote peer of the section.
type Peer struct {
	Name string
	Addr string // host:port
}

// Table is a replicated table with the name it has on the wire.
type Table struct {
	Name  string
	Table *stick.Table
}

// Config is one peers section as the local peer runs it.
type Config struct {
	Section string
	Local   string // the local peer's name
	// Listen is the local peer's address; Listener, when set, is an
	// already open socket for it.
	Listen   string
	Listener net.Listener
	Remotes  []Peer
	Tables   []Table
	// Logf receives the node's messages; nil discards them.
	Logf func(format string, args ...any)
}

// Node is the local peer: it listens for remote peers, connects to each
// and exchanges the tables' updates.
type Node struct {
	cfg    Config
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	defs   []Define
	wg     sync.WaitGroup

	mu       sync.Mutex
	sessions map[string]*session // by remote peer name
	resynced bool                // a peer taught us its tables
	resyncCh chan struct{}       // closed when resynced
}

// Start opens the local peer's listener, connects to the remote peers
// and starts replicating.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	n := &Node{cfg: cfg, sessions: map[string]*session{}, resyncCh: make(chan struct{})}
	n.ctx, n.cancel = context.WithCancel(ctx)
	for i, t := range cfg.Tables {
		n.defs = append(n.defs, defineOf(uint64(i+1), t))
	}
	n.ln = cfg.Listener
	if n.ln == nil && cfg.Listen != "" {
		// SO_REUSEPORT: the next process of a reload binds the same
		// address while this one still listens, as the reference does.
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}); err != nil {
				return err
			}
			return serr
		}}
		ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
		if err != nil {
			n.cancel()
			return nil, fmt.Errorf("peers '%s': cannot bind %s: %w", cfg.Section, cfg.Listen, err)
		}
		n.ln = ln
	}
	for i, t := range cfg.Tables {
		t.Table.Watch(func(key string) { n.changed(i, key) })
	}
	if n.ln != nil {
		n.wg.Add(1)
		go n.accept()
	}
	for _, p := range cfg.Remotes {
		n.wg.Add(1)
		go n.dialLoop(p)
	}
	return n, nil
}

// Addr is the listener's address (nil without one).
func (n *Node) Addr() net.Addr {
	if n.ln == nil {
		return nil
	}
	return n.ln.Addr()
}

// Resynced is closed once a peer has taught this node its tables.
func (n *Node) Resynced() <-chan struct{} { return n.resyncCh }

// Close stops replicating: the listener and every session close.
func (n *Node) Close() {
	n.cancel()
	if n.ln != nil {
		n.ln.Close()
	}
	for _, t := range n.cfg.Tables {
		t.Table.Watch(nil)
	}
	n.mu.Lock()
	for _, s := range n.sessions {
		s.conn.Close()
	}
	n.mu.Unlock()
	n.wg.Wait()
}

func (n *Node) logf(format string, args ...any) {
	if n.cfg.Logf != nil {
		n.cfg.Logf(format, args...)
	}
}

// defineOf is the local definition of a table.
func defineOf(id uint64, t Table) Define {
	sp := t.Table.Spec()
	d := Define{ID: id, Name: t.Name, Expire: uint64(sp.Expire.Milliseconds())}
	switch sp.Key {
	case stick.IP:
		d.KeyType, d.KeySize = KeyIPv4, 4
	case stick.IPv6:
		d.KeyType, d.KeySize = KeyIPv6, 16
	case stick.Integer:
		d.KeyType, d.KeySize = KeySInt, 4
	case stick.String:
		d.KeyType, d.KeySize = KeyString, uint64(sp.KeyLen+1) // room for the NUL
	default:
		d.KeyType, d.KeySize = KeyBinary, uint64(sp.KeyLen)
	}
	for i := 0; i < stick.NumTypes; i++ {
		if sp.Stored[i] {
			d.Data |= 1 << uint(i)
			d.Period[i] = uint64(sp.Period[i].Milliseconds())
		}
	}
	return d
}

// changed is a table's watcher: every session will send the entry.
func (n *Node) changed(table int, key string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range n.sessions {
		s.mark(table, key)
	}
}

func (n *Node) accept() {
	defer n.wg.Done()
	for {
		c, err := n.ln.Accept()
		if err != nil {
			if n.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			name, err := n.serverHandshake(c)
			if err != nil {
				n.logf("peers '%s': refused a peer session: %v", n.cfg.Section, err)
				c.Close()
				return
			}
			n.run(name, c)
		}()
	}
}

// serverHandshake reads the hello of a connecting peer and answers its
// status line; it returns the peer's name when the session is accepted.
func (n *Node) serverHandshake(c net.Conn) (string, error) {
	c.SetDeadline(time.Now().Add(handshakeLimit))
	defer c.SetDeadline(time.Time{})
	r := bufio.NewReaderSize(c, 256)
	var lines [3]string
	for i := range lines {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		lines[i] = strings.TrimSuffix(l, "\n")
	}
	status := helloStatus(lines, n.cfg.Local, func(name string) bool {
		if name == n.cfg.Local {
			return true // the old process of a reload, teaching us
		}
		for _, p := range n.cfg.Remotes {
			if p.Name == name {
				return true
			}
		}
		return false
	})
	if _, err := fmt.Fprintf(c, "%d\n", status); err != nil {
		return "", err
	}
	if status != statusSuccess {
		return "", fmt.Errorf("status %d", status)
	}
	if r.Buffered() > 0 {
		return "", errors.New("data before the handshake's answer")
	}
	name, _, _ := strings.Cut(lines[2], " ")
	return name, nil
}

// helloStatus is the status the reference answers to a hello: the
// protocol line, then the name it addresses (ours), then the sender's
// name with its pid.
func helloStatus(lines [3]string, local string, known func(string) bool) int {
	proto, ver, ok := strings.Cut(lines[0], " ")
	if !ok || proto != "HAProxyS" {
		return statusErrProto
	}
	maj, min, ok := strings.Cut(ver, ".")
	if !ok {
		return statusErrProto
	}
	if mj, err := strconv.Atoi(maj); err != nil || mj != 2 {
		return statusErrVersion
	}
	if mn, err := strconv.Atoi(min); err != nil || mn > 1 {
		return statusErrVersion
	}
	if lines[1] != local {
		return statusErrLocalName
	}
	name, _, _ := strings.Cut(lines[2], " ")
	if !known(name) {
		return statusErrPeer
	}
	return statusSuccess
}

// dialLoop keeps a session with a remote peer, connecting when none is
// up (the peer may connect to us first).
func (n *Node) dialLoop(p Peer) {
	defer n.wg.Done()
	for {
		// A random delay keeps two peers from connecting to each other
		// at the same instant over and over.
		wait := time.Duration(100+rand.IntN(900)) * time.Millisecond
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(wait):
		}
		n.mu.Lock()
		up := n.sessions[p.Name] != nil
		n.mu.Unlock()
		if up {
			continue
		}
		c, err := n.dial(p)
		if err != nil {
			continue
		}
		n.run(p.Name, c)
	}
}

// HandOver is the old process's part in a reload: it stops listening,
// connects to the local peer's address (where the new process now
// listens), teaches it every entry and waits up to limit for its
// confirmation. It does nothing when no one else listens there.
func (n *Node) HandOver(limit time.Duration) error {
	if n.ln == nil {
		return nil
	}
	addr := n.ln.Addr().String()
	n.ln.Close()
	c, err := n.dial(Peer{Name: n.cfg.Local, Addr: addr})
	if err != nil {
		return err
	}
	s := newSession(n, n.cfg.Local, c)
	confirmed := make(chan struct{})
	s.confirmed = confirmed
	s.teachAll()
	done := make(chan error, 1)
	go func() { done <- s.serve(false) }()
	select {
	case <-confirmed:
	case <-time.After(limit):
		err = fmt.Errorf("peers '%s': the new process did not confirm the teach", n.cfg.Section)
	case err = <-done:
		return err
	}
	c.Close()
	<-done
	return err
}

func (n *Node) dial(p Peer) (net.Conn, error) {
	d := net.Dialer{Timeout: handshakeLimit}
	c, err := d.DialContext(n.ctx, "tcp", p.Addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(handshakeLimit))
	hello := fmt.Sprintf("%s\n%s\n%s %d 1\n", protocolLine, p.Name, n.cfg.Local, os.Getpid())
	if _, err := c.Write([]byte(hello)); err != nil {
		c.Close()
		return nil, err
	}
	line, err := readLine(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	if line != strconv.Itoa(statusSuccess) {
		c.Close()
		return nil, fmt.Errorf("peer '%s' answered %q", p.Name, line)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// readLine reads a status line byte by byte, so nothing after it is
// consumed.
func readLine(c net.Conn) (string, error) {
	var b []byte
	var one [1]byte
	for len(b) < 16 {
		if _, err := c.Read(one[:]); err != nil {
			return "", err
		}
		if one[0] == '\n' {
			return string(b), nil
		}
		b = append(b, one[0])
	}
	return "", errors.New("status line too long")
}

// run serves a session until it ends; a newer session with the same
// peer replaces an older one, as in the reference.
func (n *Node) run(name string, c net.Conn) {
	s := newSession(n, name, c)
	n.mu.Lock()
	if old := n.sessions[name]; old != nil {
		old.conn.Close()
	}
	n.sessions[name] = s
	wantResync := !n.resynced
	n.mu.Unlock()
	if n.ctx.Err() != nil {
		c.Close()
	}
	err := s.serve(wantResync)
	n.mu.Lock()
	if n.sessions[name] == s {
		delete(n.sessions, name)
	}
	n.mu.Unlock()
	c.Close()
	if err != nil && n.ctx.Err() == nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		n.logf("peers '%s': session with '%s' ended: %v", n.cfg.Section, name, err)
	}
}

// markResynced records that a peer taught us its tables.
func (n *Node) markResynced() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.resynced {
		n.resynced = true
		close(n.resyncCh)
	}
}

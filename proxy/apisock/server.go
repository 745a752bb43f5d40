package apisock

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"fulcrum/proxy"
	"fulcrum/proxy/ring"
)

// Socket is one `stats socket` line.
type Socket struct {
	// Network is "unix" or "tcp"; Addr the path or host:port. FD, when
	// not negative, is an inherited listening socket (`fd@N`).
	Network, Addr string
	FD            int
	// Unix socket ownership and permissions (-1 / 0 = unchanged).
	Mode     os.FileMode
	UID, GID int
	Level    Level
	// ExposeFD is `expose-fd listeners`: `_getsocks` on this socket hands
	// the engine's listening sockets to another process (haproxy -x).
	ExposeFD bool
}

// key identifies a socket across reloads.
func (s Socket) key() string { return fmt.Sprintf("%s|%s|%d", s.Network, s.Addr, s.FD) }

// Config is the Runtime API's configuration.
type Config struct {
	Sockets []Socket
	// Timeout is `stats timeout`: an idle session is closed after it
	// (default 10s).
	Timeout time.Duration
	// ForcedIDs are the proxies whose id is set with `id`.
	ForcedIDs map[string]bool
	// HardMaxConn bounds `set maxconn global` (0 = no bound).
	HardMaxConn int
	// Version is what `show version` prints.
	Version string
	// ParseServer builds a dynamic server from the arguments of `add
	// server` (what follows the name), with the configuration's rules.
	ParseServer func(backend, name string, args []string) (*proxy.Server, error)
}

// Server serves the Runtime API of one engine on its sockets.
type Server struct {
	engine *proxy.Engine
	log    func(string)

	mu        sync.Mutex
	cfg       Config
	listeners map[string]*listener
	sessions  map[*session]struct{}
	closed    bool
	rings     func() []*ring.Ring // SetEvents
}

type listener struct {
	sock Socket
	ln   net.Listener
	mu   sync.Mutex // guards sock (its level changes on reload)
}

// New prepares a Runtime API server; nothing listens before Update.
// log receives notices (as the reference's CLI prints them).
func New(e *proxy.Engine, log func(string)) *Server {
	if log == nil {
		log = func(string) {}
	}
	return &Server{engine: e, log: log, listeners: map[string]*listener{}, sessions: map[*session]struct{}{}}
}

func (s *Server) logf(format string, a ...any) { s.log(fmt.Sprintf(format, a...)) }

func (s *Server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Update applies cfg: sockets already open at the same address are kept
// (with the new level and timeout), new ones are opened, the others
// closed. Unix socket permissions are applied to the sockets it opens.
func (s *Server) Update(cfg Config) error {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("runtime API closed")
	}
	want := map[string]bool{}
	var opened []*listener
	for _, sock := range cfg.Sockets {
		k := sock.key()
		want[k] = true
		if l := s.listeners[k]; l != nil {
			l.mu.Lock()
			l.sock = sock
			l.mu.Unlock()
			continue
		}
		ln, err := listen(sock)
		if err != nil {
			for _, l := range opened {
				l.close()
				delete(s.listeners, l.sock.key())
			}
			return err
		}
		l := &listener{sock: sock, ln: ln}
		s.listeners[k] = l
		opened = append(opened, l)
	}
	for k, l := range s.listeners {
		if !want[k] {
			l.close()
			delete(s.listeners, k)
		}
	}
	s.cfg = cfg
	for _, l := range opened {
		go s.serve(l)
	}
	return nil
}

// Close closes every socket (removing unix socket files) and session.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for k, l := range s.listeners {
		l.close()
		delete(s.listeners, k)
	}
	for ss := range s.sessions {
		ss.conn.Close()
	}
	s.mu.Unlock()
}

// Addrs returns the bound address of every socket, in no order.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, l := range s.listeners {
		out = append(out, l.ln.Addr())
	}
	return out
}

// listen opens one socket. A stale unix socket file is replaced, as the
// reference does.
func listen(sock Socket) (net.Listener, error) {
	if sock.FD >= 0 {
		f := os.NewFile(uintptr(sock.FD), fmt.Sprintf("fd@%d", sock.FD))
		if f == nil {
			return nil, fmt.Errorf("cannot use fd@%d", sock.FD)
		}
		defer f.Close()
		return net.FileListener(f)
	}
	if sock.Network == "unix" {
		if fi, err := os.Lstat(sock.Addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(sock.Addr)
		}
	}
	ln, err := net.Listen(sock.Network, sock.Addr)
	if err != nil {
		return nil, err
	}
	if sock.Network == "unix" {
		if ul, ok := ln.(*net.UnixListener); ok {
			ul.SetUnlinkOnClose(true)
		}
		if sock.Mode != 0 {
			if err := os.Chmod(sock.Addr, sock.Mode); err != nil {
				ln.Close()
				return nil, err
			}
		}
		if sock.UID >= 0 || sock.GID >= 0 {
			if err := os.Lchown(sock.Addr, sock.UID, sock.GID); err != nil {
				ln.Close()
				return nil, err
			}
		}
	}
	return ln, nil
}

func (l *listener) close() { l.ln.Close() }

func (l *listener) level() Level {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sock.Level
}

func (s *Server) serve(l *listener) {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !s.startSession(&session{srv: s, conn: c, level: l.level(), timeout: s.config().Timeout, start: time.Now(), expose: l.exposeFD()}) {
			return
		}
	}
}

// session is one client connection to a socket.
type session struct {
	srv     *Server
	conn    net.Conn
	level   Level
	timeout time.Duration
	prompt  bool
	start   time.Time
	expose  bool // `expose-fd listeners`: `_getsocks` hands the listeners over
	// follow, set by a command, streams its output after it (show
	// events -w, events.go) until the client sends a key.
	follow func(w *bufio.Writer, rd *bufio.Reader)
}

// run reads requests and answers them until the client leaves, `quit`,
// the idle timeout, or (outside prompt mode) the end of what the client
// sent in one go.
func (ss *session) run() {
	// The session leaves the list before the client sees the end, so
	// that its next connection's `show sess` does not list it.
	defer func() {
		ss.srv.forget(ss)
		ss.conn.Close()
	}()
	rd := bufio.NewReaderSize(ss.conn, 16384)
	w := bufio.NewWriter(ss.conn)
	defer w.Flush()
	for {
		_ = ss.conn.SetReadDeadline(time.Now().Add(ss.timeout))
		line, err := rd.ReadString('\n')
		if err != nil {
			// A last line without LF is not a command (the reference
			// closes on it).
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		cmds := splitCommands(line)
		for i, cmd := range cmds {
			words, payload := splitWords(cmd)
			var body string
			if payload && i == len(cmds)-1 {
				// The payload is every following line up to an empty one.
				var lines []string
				for {
					l, err := rd.ReadString('\n')
					l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
					if l == "" || err != nil {
						break
					}
					lines = append(lines, l)
				}
				body = strings.Join(lines, "\n")
			}
			if len(words) > 0 && words[0] == "quit" {
				return
			}
			if len(words) > 0 && words[0] == "_getsocks" {
				ss.getsocks(rd)
				return
			}
			out, lf := ss.execute(words, body)
			w.WriteString(out)
			if f := ss.follow; f != nil {
				ss.follow = nil
				f(w, rd)
			}
			switch {
			case ss.prompt:
				w.WriteString("\n> ")
			case lf:
				w.WriteString("\n")
			}
			// Outside prompt mode the session ends once everything the
			// client sent so far is answered.
			if !ss.prompt && i == len(cmds)-1 && rd.Buffered() == 0 {
				return
			}
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
}

// execute runs one command; lf tells whether the usual newline follows
// its output (`user -` and `operator -` suppress it, as the reference).
func (ss *session) execute(words []string, payload string) (out string, lf bool) {
	if len(words) > 0 && words[0] == "prompt" {
		ss.prompt = !ss.prompt
		return "", true
	}
	if len(words) > 0 && words[0] == "help" {
		return usage(commands, words), true
	}
	c := findCommand(words)
	if c == nil {
		return usage(commands, words), true
	}
	out = c.run(ss, words, payload)
	if (words[0] == "user" || words[0] == "operator") && arg(words, 1) == "-" {
		return out, false
	}
	return out, true
}

func (s *Server) forget(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss)
	s.mu.Unlock()
}

func (s *Server) hasBackend(name string) bool {
	for _, b := range s.engine.BackendNames() {
		if b == name {
			return true
		}
	}
	return false
}

func (s *Server) hasFrontend(name string) bool { return s.engine.HasFrontend(name) }

// cliSessions lists the Runtime API sessions (they are HAProxy streams
// too, shown by `show sess` on the GLOBAL frontend).
func (s *Server) cliSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		out = append(out, ss)
	}
	return out
}

func (ss *session) id() string { return fmt.Sprintf("%p", ss) }

// shutdownCLISession closes the Runtime API session with the given id.
func (s *Server) shutdownCLISession(id string) bool {
	for _, ss := range s.cliSessions() {
		if ss.id() == id {
			ss.conn.Close()
			return true
		}
	}
	return false
}

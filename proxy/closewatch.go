package proxy

import (
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Watching a client socket for its peer's close (option abortonclose).
//
// While a request waits for a server slot or a connection, nothing reads
// its client, and the netpoller cannot be asked about the socket then: in
// http mode the read call serving the connection may still be in progress
// (serveInline). The watcher is an epoll instance of its own, asked only
// for EPOLLRDHUP (plus the hang-ups and errors epoll always reports), so
// requests the client pipelined behind do not count as a close. A close
// that came before the watch began is reported at once: epoll checks the
// socket's state when it is added.

// closeWatcher runs the callbacks of the watched sockets whose peer
// closed, from a goroutine of its own parked on the netpoller.
type closeWatcher struct {
	epfd int
	rc   syscall.RawConn

	mu     sync.Mutex
	next   uint64
	onDone map[uint64]func()
}

var (
	watcherOnce sync.Once
	watcher     *closeWatcher // nil when none could be made
)

func closeWatch() *closeWatcher {
	watcherOnce.Do(func() {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		if err := unix.SetNonblock(epfd, true); err != nil {
			unix.Close(epfd)
			return
		}
		f := os.NewFile(uintptr(epfd), "closewatch")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return
		}
		watcher = &closeWatcher{epfd: epfd, rc: rc, onDone: map[uint64]func(){}}
		go watcher.run()
	})
	return watcher
}

func (w *closeWatcher) run() {
	var events [64]unix.EpollEvent
	for {
		w.rc.Read(func(fd uintptr) bool {
			for {
				n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, fd, uintptr(unsafe.Pointer(&events[0])),
					uintptr(len(events)), 0, 0, 0)
				if e == unix.EINTR {
					continue
				}
				if e != 0 || n == 0 {
					return false
				}
				for i := range events[:n] {
					w.fire(eventData(&events[i]))
				}
				if int(n) < len(events) {
					return false
				}
			}
		})
	}
}

// fire runs (once) the callback registered under id.
func (w *closeWatcher) fire(id uint64) {
	w.mu.Lock()
	f := w.onDone[id]
	delete(w.onDone, id)
	w.mu.Unlock()
	if f != nil {
		f()
	}
}

// watch calls onClose once c's peer has closed (or reset) the connection,
// until the returned stop is called; stop reports whether onClose ran or
// runs. ok is false when c cannot be watched (not a TCP socket).
func (w *closeWatcher) watch(c net.Conn, onClose func()) (stop func() bool, ok bool) {
	rc, ok := rawConnOf(c)
	if !ok {
		return nil, false
	}
	w.mu.Lock()
	w.next++
	id := w.next
	w.onDone[id] = onClose
	w.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	var addErr error
	// Control holds the descriptor open: it cannot be closed and reused
	// under the watch.
	if err := rc.Control(func(fd uintptr) { addErr = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev) }); err != nil || addErr != nil {
		w.mu.Lock()
		delete(w.onDone, id)
		w.mu.Unlock()
		return nil, false
	}
	return func() bool {
		// A closed descriptor left the epoll set with its close.
		rc.Control(func(fd uintptr) { unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
		w.mu.Lock()
		_, pending := w.onDone[id]
		delete(w.onDone, id)
		w.mu.Unlock()
		return !pending
	}, true
}

// rawConnOf is the RawConn of c's TCP socket, under TLS too.
func rawConnOf(c net.Conn) (syscall.RawConn, bool) {
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok { // *tls.Conn
		c = nc.NetConn()
	}
	if sc, ok := c.(*sockConn); ok {
		return sc.rawConn(), true
	}
	tc, ok := asTCP(c)
	if !ok {
		return nil, false
	}
	rc, err := tc.SyscallConn()
	return rc, err == nil
}

package proxy

import (
	"errors"
	"net"
	"os"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A flowLoop moves the bytes of established TCP connection pairs (flows)
// for tunnel: one goroutine per loop, driven by an edge-triggered epoll
// instance of its own.
//
// Why not a goroutine per direction over the netpoller (the fallback, see
// pump): Go's netpoller tells a goroutine "readable" without saying why,
// so after each read it must read again and find nothing (EAGAIN) before
// it may park, and every exchange costs two goroutine switches. Here the
// epoll flags say whether the peer has closed (EPOLLRDHUP), so a read
// shorter than the buffer proves the socket drained (epoll(7)) and the
// loop reads exactly when data is there: per request on a kept-alive
// connection, one recvfrom and one sendto each way, and one epoll_wait per
// batch of ready sockets. The loop's epoll descriptor is itself watched
// by the netpoller, so the loop parks like any goroutine and never holds
// a thread in a blocking system call.
type flowLoop struct {
	file   *os.File // the epoll descriptor, registered with the netpoller
	rc     syscall.RawConn
	epfd   int
	events [128]unix.EpollEvent
	now    int64 // unix nanoseconds, read once per batch of events

	mu sync.Mutex // guards regs and every flow's ended, and serialises the batches
	// regs are the sockets in the epoll set by their key, the event data:
	// a key is never used again, so an event of a socket closed since it
	// came cannot reach the one registered next.
	regs map[uint64]loopReg
	next uint64
}

// loopReg is a registered socket: a side of a flow.
type loopReg struct {
	f    *flow
	side int
}

var (
	loopsOnce sync.Once
	loops     []*flowLoop
	loopNext  atomic.Uint32
)

// pickLoop returns a loop for a new flow (one loop per P, round robin), or
// nil when none could be made; tunnel then uses goroutines.
func pickLoop() *flowLoop {
	loopsOnce.Do(func() {
		for range goruntime.GOMAXPROCS(0) {
			l, err := newFlowLoop()
			if err != nil {
				loops = nil
				return
			}
			loops = append(loops, l)
		}
	})
	if len(loops) == 0 {
		return nil
	}
	return loops[int(loopNext.Add(1))%len(loops)]
}

func newFlowLoop() (*flowLoop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// Non-blocking, so os.NewFile hands it to the netpoller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, err
	}
	f := os.NewFile(uintptr(epfd), "flowloop")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &flowLoop{file: f, rc: rc, epfd: epfd, regs: map[uint64]loopReg{}}
	go l.run()
	return l, nil
}

func (l *flowLoop) run() {
	for l.rc.Read(l.poll) == nil {
	}
}

// poll handles the ready events; false parks the loop until the epoll
// descriptor is readable again. A batch smaller than the event array
// means the ready list was empty: any later event wakes the netpoller.
func (l *flowLoop) poll(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, fd, uintptr(unsafe.Pointer(&l.events[0])),
			uintptr(len(l.events)), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 || n == 0 {
			return false
		}
		l.dispatch(l.events[:n])
		if int(n) < len(l.events) {
			return false
		}
	}
}

func (l *flowLoop) dispatch(evs []unix.EpollEvent) {
	now := time.Now().UnixNano()
	l.mu.Lock()
	l.now = now
	for i := range evs {
		r, ok := l.regs[eventData(&evs[i])]
		if !ok {
			continue
		}
		if c := r.f.pre[r.side]; c != nil {
			c.notify(evs[i].Events)
			continue
		}
		r.f.event(r.side, evs[i].Events)
	}
	l.mu.Unlock()
}

// eventData is the 64-bit user data of an event (Fd and Pad in x/sys's
// layout): a registration's key.
func eventData(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// addLocked puts side's socket of f in the epoll set. Guarded by l.mu.
func (l *flowLoop) addLocked(f *flow, side int) error {
	l.next++
	key := l.next
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd: int32(uint32(key)), Pad: int32(uint32(key >> 32))}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, f.fd[side], &ev); err != nil {
		return err
	}
	l.regs[key] = loopReg{f, side}
	f.key[side] = key
	return nil
}

// dropLocked forgets side's registration of f; the socket leaves the
// epoll set when it closes. Guarded by l.mu.
func (l *flowLoop) dropLocked(f *flow, side int) {
	if k := f.key[side]; k != 0 {
		delete(l.regs, k)
		f.key[side] = 0
	}
}

// register adds c's socket to the loop as side of f (a new flow when f
// is nil), the flow that will move its bytes; its events go to c until
// the flow starts.
func (l *flowLoop) register(c *sockConn, f *flow, side int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f == nil {
		f = &flow{loop: l}
	}
	if f.started || f.pre[side] != nil {
		return errors.New("flow side taken")
	}
	f.fd[side] = c.fd
	if err := l.addLocked(f, side); err != nil {
		return err
	}
	f.pre[side], c.f, c.side = c, f, side
	return nil
}

// forget drops c's registration unless its flow started (the flow's end
// drops it then).
func (l *flowLoop) forget(c *sockConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := c.f; f != nil && f.pre[c.side] == c {
		f.pre[c.side] = nil
		l.dropLocked(f, c.side)
	}
}

// start makes f a flow: its sides not registered yet (a sockConn is)
// join the epoll set, and the events its sockConns saw so far are
// handled as if they came now. Events may start at once.
func (l *flowLoop) start(f *flow) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f.loop = l
	for side := range f.fd {
		if f.key[side] != 0 {
			continue
		}
		if err := l.addLocked(f, side); err != nil {
			for s := range side {
				if f.pre[s] == nil {
					unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, f.fd[s], nil)
					l.dropLocked(f, s)
				}
			}
			return err
		}
	}
	var seen [2]uint32
	for side, c := range f.pre {
		if c != nil {
			seen[side] = c.seen
		}
	}
	f.pre, f.started = [2]*sockConn{}, true
	l.now = time.Now().UnixNano()
	for side, ev := range seen {
		if ev != 0 && !f.over {
			f.event(side, ev)
		}
	}
	return nil
}

// end finishes f with term unless it already ended, and reports whether
// this call ended it. After end the loop never touches f's descriptors
// again, so its connections may be closed.
func (l *flowLoop) end(f *flow, term [2]byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return f.endLocked(term)
}

// A flow is a client and a server connection moving bytes both ways; dir
// 0 reads the client and writes the server, dir 1 the reverse.
type flow struct {
	loop *flowLoop
	fd   [2]int
	key  [2]uint64 // the sides' registrations; guarded by loop.mu
	conn [2]net.Conn
	dir  [2]flowDir
	// pre are the sockConns (accepted or dialed by the loop, see
	// sockconn.go) before the flow starts: the loop gives them their
	// events until then. Guarded by loop.mu, as started.
	pre     [2]*sockConn
	started bool

	last  atomic.Int64   // unix nanoseconds of the last bytes moved
	read  [2]int64       // of each side's last read; guarded by loop.mu
	ended [2]atomic.Bool // dir i passed its EOF on (read by the owner's timer)
	// changed says a direction ended and an idle bound came closer (a
	// client-fin or server-fin timeout applies now); nil when the flow
	// has no such timeout: without one, a direction's end only removes
	// bounds, and a timer armed for a bound gone finds nothing expired
	// and re-arms. That spares most flows a wake-up of their owner.
	changed chan struct{}
	done    chan struct{} // closed by endLocked

	over bool    // guarded by loop.mu
	term [2]byte // set before done is closed
	// timedOut is the first side's timeout that ended its direction
	// (guarded by loop.mu): the session's termination state.
	timedOut    [2]byte
	resetServer bool // tunnelTimeouts.resetServer
}

// flowDir is one direction's state, touched by the loop only.
type flowDir struct {
	buf      []byte // copy mode: pending bytes are buf[off:end]
	off, end int
	pipe     *pipe // bulk mode: pending bytes are in the pipe
	inPipe   int
	bulk     bool
	toBulk   bool // the last read filled the buffer: splice once it drained
	toCopy   bool // the last splice was small: copy once the pipe drained
	readable bool // an edge said readable and no read drained it since
	writable bool // the destination took everything last time
	rdhup    bool // the source's peer closed: read until EOF
	// peerFin: the source's FIN has arrived (EPOLLRDHUP without an
	// error), so a short read took the last of its data.
	peerFin   bool
	eof       bool
	fin       bool // the eof is the source's FIN (not a timeout)
	closed    bool
	moved     int64
	srcTerm   byte // who to blame when reading fails
	dstTerm   byte // when writing fails
	bufHandle *[]byte
}

func (d *flowDir) pending() int {
	if d.bulk {
		return d.inPipe
	}
	return d.end - d.off
}

func (f *flow) endLocked(term [2]byte) bool {
	if f.over {
		return false
	}
	if f.timedOut[0] != 0 {
		term = f.timedOut
	}
	f.over, f.term = true, term
	f.loop.dropLocked(f, 0)
	f.loop.dropLocked(f, 1)
	close(f.done)
	return true
}

func (f *flow) event(side int, ev uint32) {
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		f.dir[side].readable = true
		if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			f.dir[side].rdhup = true
		}
		if ev&unix.EPOLLRDHUP != 0 && ev&unix.EPOLLERR == 0 {
			f.dir[side].peerFin = true
		}
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		f.dir[1-side].writable = true
	}
	f.pump(side)
	if !f.over {
		f.pump(1 - side)
	}
	if !f.over && f.dir[0].closed && f.dir[1].closed {
		f.endLocked([2]byte{termNone, stateNone})
	}
}

// pump moves what it can in direction i without waiting.
func (f *flow) pump(i int) {
	d := &f.dir[i]
	src, dst := f.fd[i], f.fd[1-i]
	for !d.closed && !f.over {
		if d.pending() > 0 {
			if !d.writable {
				return
			}
			var n int
			var e syscall.Errno
			if d.bulk {
				n, e = splice(d.pipe.out, dst, d.inPipe)
			} else {
				n, e = rawIOFlags(unix.SYS_SENDTO, uintptr(dst), d.buf[d.off:d.end], f.lastSendFlags(i))
			}
			switch e {
			case 0:
				if d.bulk {
					d.inPipe -= n
				} else {
					d.off += n
				}
				d.moved += int64(n)
				f.last.Store(f.loop.now)
			case unix.EINTR:
			case unix.EAGAIN:
				d.writable = false
				return
			default:
				f.fail(d, wrapOp("write", f.conn[1-i], e))
				return
			}
			continue
		}
		if d.eof {
			if i == 0 && f.resetServer {
				// A reset instead of the FIN (option nolinger):
				// the session ends.
				f.endLocked([2]byte{termNone, stateNone})
				return
			}
			// No shutdown towards a side whose FIN was read, as
			// with the reference: the close follows once both
			// directions ended, and sends the FIN (or the reset).
			if !f.dir[1-i].fin {
				unix.Shutdown(dst, unix.SHUT_WR)
			}
			d.closed = true
			f.ended[i].Store(true)
			if f.changed != nil {
				select {
				case f.changed <- struct{}{}:
				default:
				}
			}
			return
		}
		if !d.readable {
			return
		}
		// Nothing pending: the mode may change.
		switch {
		case d.toBulk && !d.bulk:
			if d.pipe == nil {
				d.pipe, _ = getPipe() // none to be had (fd limit): keep copying
			}
			d.bulk, d.toBulk = d.pipe != nil, false
		case d.toCopy && d.bulk:
			d.bulk, d.toCopy = false, false
		}
		var n int
		var e syscall.Errno
		if d.bulk {
			n, e = splice(src, d.pipe.in, pipeSize)
		} else {
			n, e = rawIO(unix.SYS_RECVFROM, uintptr(src), d.buf)
		}
		switch e {
		case 0:
			f.read[i] = f.loop.now
			switch {
			case n == 0:
				d.eof, d.fin = true, true
			case d.bulk:
				// A short splice proves nothing (the pipe may be out
				// of slots): bulk reads go on until EAGAIN.
				d.inPipe = n
				d.toCopy = n < len(d.buf) // small again: copy once the pipe drained
			default:
				d.off, d.end = 0, n
				if n == len(d.buf) {
					d.toBulk = true
				} else if d.peerFin {
					// The FIN came before this read drained the
					// socket: that was the last of the data, and the
					// FIN can leave with it, as the reference's does.
					d.eof, d.fin = true, true
				} else if !d.rdhup {
					// A short read drained the socket (epoll(7)); the
					// next bytes bring a new edge.
					d.readable = false
				}
			}
		case unix.EINTR:
		case unix.EAGAIN:
			d.readable = false
			return
		default:
			f.fail(d, wrapOp("read", f.conn[i], e))
			return
		}
	}
}

// lastSendFlags are the send flags of direction i's data: the last data
// before a shutdown goes with MSG_MORE, so that the FIN which follows at
// once leaves in the same segment.
func (f *flow) lastSendFlags(i int) int {
	d := &f.dir[i]
	if d.eof && !f.dir[1-i].fin && !(i == 0 && f.resetServer) {
		return unix.MSG_MORE
	}
	return 0
}

// fail ends the flow on an error of direction d, blamed as tunnel does.
func (f *flow) fail(d *flowDir, err error) {
	f.endLocked([2]byte{failSide(err, d.srcTerm, d.dstTerm), stateData})
}

// tunnelLoop is tunnel over a flowLoop: the calling goroutine only waits,
// for the end of the flow or for an idle timeout, which it enforces. cli
// and srv are plain TCP connections or sockConns registered with l
// (loopFor), whose flow then starts. ok is false when the flow could not
// be registered (nothing moved yet); tunnel then falls back to
// goroutines.
func tunnelLoop(l *flowLoop, cli, srv net.Conn, t tunnelTimeouts, lc *liveConn) (in, out int64, term [2]byte, ok bool) {
	f := &flow{}
	for _, c := range [2]net.Conn{cli, srv} {
		if sc, ok := c.(*sockConn); ok {
			f = sc.f
		}
	}
	f.conn, f.done, f.resetServer = [2]net.Conn{cli, srv}, make(chan struct{}), t.resetServer
	if t.clientFin > 0 || t.serverFin > 0 {
		f.changed = make(chan struct{}, 1)
	}
	for side, c := range f.conn {
		if sc, ok := c.(*sockConn); ok {
			if sc.f != f {
				return 0, 0, term, false
			}
			continue
		}
		tc, ok := asTCP(c)
		if !ok {
			return 0, 0, term, false
		}
		rc, err := tc.SyscallConn()
		if err != nil {
			return 0, 0, term, false
		}
		if err := rc.Control(func(fd uintptr) { f.fd[side] = int(fd) }); err != nil {
			return 0, 0, term, false
		}
	}
	f.dir[0].srcTerm, f.dir[0].dstTerm = termClientAbort, termServerAbort
	f.dir[1].srcTerm, f.dir[1].dstTerm = termServerAbort, termClientAbort
	for i := range f.dir {
		d := &f.dir[i]
		d.bufHandle = relayBufs.Get().(*[]byte)
		d.buf, d.writable = *d.bufHandle, true
	}
	defer f.release()
	start := time.Now().UnixNano()
	f.last.Store(start)
	f.read = [2]int64{start, start}
	if err := l.start(f); err != nil {
		return 0, 0, term, false
	}
	if !lc.setFlow(f) {
		l.end(f, [2]byte{'K', stateData})
	}
	defer lc.setFlow(nil)
	defer lc.contStats().watch(func() (int64, int64) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return f.dir[0].moved, f.dir[1].moved
	})()
	var timer *time.Timer
	for {
		var fire <-chan time.Time
		l.mu.Lock()
		wait, any := f.nextTimeout(t, time.Now())
		l.mu.Unlock()
		if any {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			fire = timer.C
		}
		select {
		case <-f.done:
		case <-f.changed:
			continue
		case now := <-fire:
			if !l.timeout(f, t, now) {
				continue
			}
		}
		break
	}
	if timer != nil {
		timer.Stop()
	}
	// Closed here in every case: the direction that ended last skipped
	// its shutdown, so closing is what sends its FIN.
	if f.dir[1].eof {
		lingerAgain(srv, t.resetServer)
	}
	cli.Close()
	srv.Close()
	return f.dir[0].moved, f.dir[1].moved, f.term, true
}

// idle is the idle bound of direction i's reads, as tunnel keeps it: the
// side's timeout, shortened by the other side's *-fin timeout once the
// other direction has ended; 0 when none applies or i has ended (or is
// ending: its EOF is in). Guarded by loop.mu.
func (f *flow) idle(t tunnelTimeouts, i int) time.Duration {
	if f.ended[i].Load() || f.dir[i].eof {
		return 0
	}
	own, fin := t.client, t.serverFin
	if i == 1 {
		own, fin = t.server, t.clientFin
	}
	if fin > 0 && f.ended[1-i].Load() {
		return minNonZero(own, fin)
	}
	return own
}

// since is when side i's idle time began: the last bytes moved either
// way, or its own last read when independent (option
// independent-streams). Guarded by loop.mu.
func (f *flow) since(t tunnelTimeouts, i int) int64 {
	if t.independent[i] {
		return f.read[i]
	}
	return f.last.Load()
}

// stuck is side i's bound when the direction towards it has bytes it
// does not take: its whole timeout, 0 when none applies. Guarded by
// loop.mu.
func (f *flow) stuck(t tunnelTimeouts, i int) time.Duration {
	if d := &f.dir[1-i]; d.closed || d.pending() == 0 || d.writable {
		return 0
	}
	return [2]time.Duration{t.client, t.server}[i]
}

// nextTimeout is how long until the earliest bound passes. Guarded by
// loop.mu.
func (f *flow) nextTimeout(t tunnelTimeouts, now time.Time) (time.Duration, bool) {
	var wait time.Duration
	any := false
	add := func(from int64, b time.Duration) {
		if b > 0 {
			w := time.Unix(0, from).Add(b).Sub(now)
			if !any || w < wait {
				wait, any = w, true
			}
		}
	}
	for i := range f.dir {
		add(f.since(t, i), f.idle(t, i))
		add(f.last.Load(), f.stuck(t, i))
	}
	return max(wait, 0), any
}

// expired tells whose bound has passed (a stuck side first, then the
// shorter idle bound, the client's on a tie) and whether that ends the
// session (kill) or only the side's direction. Guarded by loop.mu.
func (f *flow) expired(t tunnelTimeouts, now time.Time) (side int, kill, found bool) {
	for i := range f.dir {
		if b := f.stuck(t, i); b > 0 && now.Sub(time.Unix(0, f.last.Load())) >= b {
			return i, true, true
		}
	}
	for i := range f.dir {
		b := f.idle(t, i)
		if b > 0 && now.Sub(time.Unix(0, f.since(t, i))) >= b && (!found || b < f.idle(t, side)) {
			side, found = i, true
		}
	}
	return side, false, found
}

// timeout ends what an expired bound ends at now, and reports whether
// the flow is over.
func (l *flowLoop) timeout(f *flow, t tunnelTimeouts, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f.over {
		return true
	}
	side, kill, found := f.expired(t, now)
	if !found {
		return false
	}
	term := [2]byte{[2]byte{termClientTimeout, termServerTimeout}[side], stateData}
	if kill {
		return f.endLocked(term)
	}
	if f.timedOut[0] == 0 {
		f.timedOut = term
	}
	// The side's direction ends as on its FIN: what it sent before
	// still goes through.
	l.now = now.UnixNano()
	f.dir[side].eof = true
	f.pump(side)
	if !f.over && f.dir[0].closed && f.dir[1].closed {
		f.endLocked([2]byte{termNone, stateNone})
	}
	return f.over
}

// release returns the buffers and pipes once the loop is done with f.
func (f *flow) release() {
	for i := range f.dir {
		d := &f.dir[i]
		if d.bufHandle != nil {
			relayBufs.Put(d.bufHandle)
		}
		if d.pipe != nil {
			putPipe(d.pipe, d.inPipe == 0)
		}
	}
}

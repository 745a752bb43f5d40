package proxy

import (
	"net"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// relay moves up to limit bytes from src to dst, like io.Copy of an
// io.LimitedReader over two *net.TCPConn, with raw system calls driven by
// the connections' RawConn. Small exchanges are copied through a pooled
// buffer (read then write, as the reference does by default); once a read
// fills the buffer the flow is bulk and moves through a pipe with
// splice(2), staying in the kernel, until a splice moves less than a
// buffer's worth again.
//
// Why not io.Copy: Go's own splice and read paths enter every call as a
// potentially blocking system call. The sockets are non-blocking, so the
// calls never block, yet the runtime's bookkeeping around them (and sysmon
// waking every 20µs to hand a P "stuck" in a syscall to another thread
// while goroutines wait) made up about a quarter of the proxy's CPU time in
// the tcp benchmark. Raw calls skip that; waiting for readiness still goes
// through the netpoller, so read deadlines and Close work as before. And
// for a few bytes, splice costs the kernel more than a copy.
//
// It returns the bytes moved and nil at EOF (with fewer than limit moved),
// nil after exactly limit bytes, or the first error.
func relay(dst, src *net.TCPConn, limit int64) (int64, error) {
	rsrc, err := src.SyscallConn()
	if err != nil {
		return 0, err
	}
	rdst, err := dst.SyscallConn()
	if err != nil {
		return 0, err
	}
	bufp := relayBufs.Get().(*[]byte)
	defer relayBufs.Put(bufp)
	buf := *bufp
	var (
		p      *pipe // taken when the flow turns bulk
		bulk   bool  // moving through p with splice
		want   int   // the most one read may take
		in     int   // what the last read took
		left   int   // what is still to write of it
		rerrno syscall.Errno
		werrno syscall.Errno
	)
	// The callbacks are made once per call, not per round.
	readOnce := func(fd uintptr) bool {
		for {
			if bulk {
				in, rerrno = splice(int(fd), p.in, want)
			} else {
				in, rerrno = rawIO(unix.SYS_RECVFROM, fd, buf[:want])
			}
			if rerrno != syscall.EINTR {
				return rerrno != syscall.EAGAIN
			}
		}
	}
	writeAll := func(fd uintptr) bool {
		for left > 0 {
			var n int
			var e syscall.Errno
			if bulk {
				n, e = splice(p.out, int(fd), left)
			} else {
				n, e = rawIO(unix.SYS_SENDTO, fd, buf[in-left:in])
			}
			switch e {
			case 0:
				left -= n
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				werrno = e
				return true
			}
		}
		return true
	}
	release := func(empty bool) {
		if p != nil {
			putPipe(p, empty)
		}
	}
	var total int64
	for total < limit {
		// An empty socket parks us in the netpoller until it is
		// readable (or its deadline passes).
		want, rerrno = int(min(limit-total, int64(len(buf)))), 0
		if bulk {
			want = int(min(limit-total, pipeSize))
		}
		rerr := rsrc.Read(readOnce)
		if rerr == nil && rerrno != 0 {
			rerr = rerrno
		}
		if rerr != nil {
			release(!bulk)
			return total, wrapOp("read", src, rerr)
		}
		if in == 0 {
			release(true)
			return total, nil // EOF
		}
		// Write it all to the peer, waiting for room as needed.
		left, werrno = in, 0
		werr := rdst.Write(writeAll)
		if werr == nil && werrno != 0 {
			werr = werrno
		}
		total += int64(in - left)
		if werr != nil {
			release(!bulk)
			return total, wrapOp("write", dst, werr)
		}
		// The pipe is empty here, so the mode may change.
		switch {
		case !bulk && in == len(buf):
			if p == nil {
				p, _ = getPipe() // none to be had (fd limit): keep copying
			}
			bulk = p != nil
		case bulk && in < len(buf):
			bulk = false
		}
	}
	release(true)
	return total, nil
}

// relayBufs are relay's copy buffers, of the reference's default buffer
// size.
var relayBufs = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// rawIO is one recvfrom(2) or sendto(2) on b without addresses or flags,
// as a raw system call. On a socket these do what read(2) and write(2)
// do, but enter the socket layer directly instead of passing through the
// VFS (file position lock, rw_verify_area, the iter wrappers): about 5% of
// the proxy's CPU time in the tcp benchmark.
func rawIO(call, fd uintptr, b []byte) (int, syscall.Errno) {
	return rawIOFlags(call, fd, b, 0)
}

// rawIOFlags is rawIO with the flags argument of send(2) and recv(2).
func rawIOFlags(call, fd uintptr, b []byte, flags int) (int, syscall.Errno) {
	r, _, e := unix.RawSyscall6(call, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(flags), 0, 0)
	return int(r), e
}

// splice is one non-blocking splice(2) of up to n bytes from in to out.
func splice(in, out, n int) (int, syscall.Errno) {
	r, _, e := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(in), 0, uintptr(out), 0, uintptr(n),
		unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
	return int(r), e
}

// wrapOp gives raw errors the shape net.Conn methods return, so errors.Is
// tests (EPIPE, os.ErrDeadlineExceeded) and log classification keep
// working. RawConn errors are already *net.OpError.
func wrapOp(op string, c net.Conn, err error) error {
	if _, ok := err.(*net.OpError); ok {
		return err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// A pipe is the kernel buffer splice moves data through: data goes in at
// its write end and comes out at its read end. Pipes are kept on a bounded
// free list: creating one costs a pipe2 and two closes.
type pipe struct{ in, out int }

// pipeSize is the default capacity of a Linux pipe (16 pages).
const pipeSize = 64 << 10

var freePipes = make(chan *pipe, 1024)

func getPipe() (*pipe, error) {
	select {
	case p := <-freePipes:
		return p, nil
	default:
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, err
	}
	return &pipe{in: fds[1], out: fds[0]}, nil
}

// putPipe returns a pipe for reuse when it is known empty, else closes it.
func putPipe(p *pipe, empty bool) {
	if empty {
		select {
		case freePipes <- p:
			return
		default:
		}
	}
	unix.Close(p.in)
	unix.Close(p.out)
}

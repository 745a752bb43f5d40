package proxy

import (
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// spliceCopy moves up to limit bytes from src to dst through a pipe with
// splice(2), like io.Copy of an io.LimitedReader over two *net.TCPConn,
// but with raw system calls driven by the connections' RawConn.
//
// Why not io.Copy: Go's own splice path enters every splice as a
// potentially blocking system call. The sockets are non-blocking, so the
// calls never block, yet the runtime's bookkeeping around them (and sysmon
// waking every 20µs to hand a P "stuck" in a syscall to another thread
// while goroutines wait) made up about a quarter of the proxy's CPU time in
// the tcp benchmark. Raw calls skip that; waiting for readiness still goes
// through the netpoller, so read deadlines and Close work as before.
//
// It returns the bytes moved and nil at EOF (with fewer than limit moved),
// nil after exactly limit bytes, or the first error.
func spliceCopy(dst, src *net.TCPConn, limit int64) (int64, error) {
	rsrc, err := src.SyscallConn()
	if err != nil {
		return 0, err
	}
	rdst, err := dst.SyscallConn()
	if err != nil {
		return 0, err
	}
	p, err := getPipe()
	if err != nil {
		// No pipe to be had (fd limit): fall back to a plain copy.
		return io.Copy(dst, io.LimitReader(src, limit))
	}
	var total int64
	for total < limit {
		// Fill the pipe from the socket; an empty socket parks us in the
		// netpoller until it is readable (or its deadline passes).
		var in int
		var errno syscall.Errno
		want := min(limit-total, pipeSize)
		rerr := rsrc.Read(func(fd uintptr) bool {
			in, errno = splice(int(fd), p.in, int(want))
			return errno != syscall.EAGAIN
		})
		if rerr == nil && errno != 0 {
			rerr = errno
		}
		if rerr != nil {
			putPipe(p, false)
			return total, wrapOp("read", src, rerr)
		}
		if in == 0 {
			putPipe(p, true)
			return total, nil // EOF
		}
		// Drain the pipe into the peer, waiting for room as needed.
		left := in
		werr := rdst.Write(func(fd uintptr) bool {
			for left > 0 {
				n, errno := splice(p.out, int(fd), left)
				if errno == syscall.EAGAIN {
					return false
				}
				if errno != 0 {
					err = errno
					return true
				}
				left -= n
			}
			return true
		})
		if werr == nil && left > 0 {
			werr = err
		}
		total += int64(in - left)
		if werr != nil {
			putPipe(p, false)
			return total, wrapOp("write", dst, werr)
		}
	}
	putPipe(p, true)
	return total, nil
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
func wrapOp(op string, c *net.TCPConn, err error) error {
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

// Package sockxfer hands listening sockets from one process to another
// the way HAProxy's `_getsocks` Runtime API command does (`haproxy -x`).
//
// Wire format (HAProxy 2.6, checked against the reference): the client
// writes "_getsocks\n"; the server answers a native-endian int32 count
// (nothing at all when it has no socket to give), then batches of at most
// 253 descriptors, each batch one message carrying the descriptors as
// SCM_RIGHTS and, for each, a record: namespace length (1 byte), namespace,
// interface length (1 byte), interface, 4 zero bytes (options, unused
// since HAProxy 2.3). After each batch the server waits for a 4-byte ack
// (the client sends the number of descriptors received so far).
package sockxfer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Socket is one transferred listening socket.
type Socket struct {
	FD        int // to send; or received (the caller owns it)
	Namespace string
	Interface string
}

// Request is the command line a client sends.
const Request = "_getsocks\n"

const (
	maxBatch = 253 // descriptors per message, as the reference
	optsLen  = 4
)

// Send answers a request on c: socks go out in batches, each
// acknowledged by 4 bytes read from ack (the connection's reader).
func Send(c *net.UnixConn, ack io.Reader, socks []Socket) error {
	if len(socks) == 0 {
		return nil
	}
	count := binary.NativeEndian.AppendUint32(nil, uint32(len(socks)))
	if _, err := c.Write(count); err != nil {
		return err
	}
	buf := make([]byte, 4)
	for start := 0; start < len(socks); start += maxBatch {
		batch := socks[start:min(start+maxBatch, len(socks))]
		var data []byte
		fds := make([]int, 0, len(batch))
		for _, s := range batch {
			var err error
			if data, err = appendRecord(data, s); err != nil {
				return err
			}
			fds = append(fds, s.FD)
		}
		if _, _, err := c.WriteMsgUnix(data, unix.UnixRights(fds...), nil); err != nil {
			return err
		}
		if _, err := io.ReadFull(ack, buf); err != nil {
			return fmt.Errorf("no ack after %d sockets: %w", start+len(batch), err)
		}
	}
	return nil
}

func appendRecord(b []byte, s Socket) ([]byte, error) {
	if len(s.Namespace) > 255 || len(s.Interface) > 255 {
		return nil, errors.New("namespace or interface name too long")
	}
	b = append(b, byte(len(s.Namespace)))
	b = append(b, s.Namespace...)
	b = append(b, byte(len(s.Interface)))
	b = append(b, s.Interface...)
	return append(b, make([]byte, optsLen)...), nil
}

// ParseRecords reads n socket records (the data after the count).
func ParseRecords(data []byte, n int) ([]Socket, error) {
	out := make([]Socket, 0, min(n, len(data)/(2+optsLen)+1))
	name := func() (string, error) {
		if len(data) < 1 || len(data) < 1+int(data[0]) {
			return "", errors.New("truncated socket record")
		}
		l := int(data[0])
		s := string(data[1 : 1+l])
		data = data[1+l:]
		return s, nil
	}
	for i := 0; i < n; i++ {
		var s Socket
		var err error
		if s.Namespace, err = name(); err != nil {
			return nil, err
		}
		if s.Interface, err = name(); err != nil {
			return nil, err
		}
		if len(data) < optsLen {
			return nil, errors.New("truncated socket record")
		}
		data = data[optsLen:]
		s.FD = -1
		out = append(out, s)
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%d bytes after the socket records", len(data))
	}
	return out, nil
}

// Fetch connects to a stats socket and gets its listening sockets; the
// returned descriptors are close-on-exec and belong to the caller. A
// server with no socket to give (or without `expose-fd listeners`)
// closes at once: that is an error, as for the reference.
func Fetch(path string, timeout time.Duration) ([]Socket, error) {
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(Request)); err != nil {
		return nil, err
	}
	var data []byte
	var fds []int
	fail := func(err error) ([]Socket, error) {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, err
	}
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*maxBatch))
	want := -1
	for want < 0 || len(fds) < want {
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		data = append(data, buf[:n]...)
		got, perr := Rights(oob[:oobn])
		fds = append(fds, got...)
		if perr != nil {
			return fail(perr)
		}
		if want < 0 && len(data) >= 4 {
			want = int(binary.NativeEndian.Uint32(data))
			if want <= 0 || want > 1<<16 {
				return fail(fmt.Errorf("invalid number of sockets %d", want))
			}
		}
		if len(got) > 0 {
			// The sender may close after its last batch without reading
			// this ack (2.6 does at times): a failed write is no error.
			_, _ = c.Write(binary.NativeEndian.AppendUint32(nil, uint32(len(fds))))
		}
		if err != nil || (n == 0 && oobn == 0) {
			if want < 0 {
				return fail(errors.New("Failed to get the number of sockets to be transferred !"))
			}
			if len(fds) < want {
				return fail(fmt.Errorf("We didn't get the expected number of sockets (expecting %d got %d)", want, len(fds)))
			}
		}
	}
	if len(fds) != want {
		return fail(fmt.Errorf("Got to many sockets ! (expecting %d got %d)", want, len(fds)))
	}
	socks, err := ParseRecords(data[4:], want)
	if err != nil {
		return fail(err)
	}
	for i := range socks {
		socks[i].FD = fds[i]
		unix.CloseOnExec(fds[i])
	}
	return socks, nil
}

// Rights extracts the descriptors of SCM_RIGHTS control messages.
func Rights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// FD reads a file's descriptor for sending without (*os.File).Fd, which
// would switch the socket (shared with its listeners) to blocking mode.
func FD(f *os.File) int {
	fd := -1
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(u uintptr) { fd = int(u) })
	}
	return fd
}

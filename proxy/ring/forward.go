package ring

import (
	"net"
	"strconv"
	"sync"
	"time"
)

// Target is one `server` of a ring: a syslog server over TCP the ring's
// lines are forwarded to.
type Target struct {
	Name, Addr string
	// OctetCount is `log-proto octet-count`: each line goes as its
	// length, a space and the line (RFC 6587); otherwise (legacy) as the
	// line and an LF.
	OctetCount bool
	// ConnectTimeout and ServerTimeout are the ring's `timeout connect`
	// and `timeout server` (0: none).
	ConnectTimeout, ServerTimeout time.Duration
}

// retryDelay is the pause before connecting again after a failure.
const retryDelay = time.Second

// Forward sends the ring's lines to t from now on until Close: those
// stored while it is not connected are sent once it is (as long as the
// ring keeps them).
func (r *Ring) Forward(t Target) {
	r.mu.Lock()
	if r.stop == nil {
		r.stop = make(chan struct{})
	}
	stop := r.stop
	r.mu.Unlock()
	r.forwarders.Add(1)
	go func() {
		defer r.forwarders.Done()
		r.forward(t, stop)
	}()
}

// Close stops the ring's forwarders and waits for them.
func (r *Ring) Close() {
	r.mu.Lock()
	if r.stop != nil {
		close(r.stop)
		r.stop = nil
	}
	r.mu.Unlock()
	r.forwarders.Wait()
}

func (r *Ring) forward(t Target, stop <-chan struct{}) {
	var seq uint64
	for {
		conn, err := net.DialTimeout("tcp", t.Addr, t.ConnectTimeout)
		if err == nil {
			seq = r.send(conn, t, seq, stop)
			conn.Close()
		}
		select {
		case <-stop:
			return
		case <-time.After(retryDelay):
		}
	}
}

// send writes the lines from seq on as they come; it returns the
// sequence number of the first line not sent when the connection fails
// or the ring is closed.
func (r *Ring) send(conn net.Conn, t Target, seq uint64, stop <-chan struct{}) uint64 {
	var closed sync.Once
	done := make(chan struct{})
	defer close(done)
	go func() {
		// A closed ring ends the connection, whatever it waits for.
		select {
		case <-stop:
			closed.Do(func() { conn.Close() })
		case <-done:
		}
	}()
	var b []byte
	for {
		lines, next, changed := r.Since(seq)
		if len(lines) > 0 {
			seq = next - uint64(len(lines))
		}
		for _, l := range lines {
			b = b[:0]
			if t.OctetCount {
				b = append(strconv.AppendInt(b, int64(len(l)), 10), ' ')
				b = append(b, l...)
			} else {
				b = append(append(b, l...), '\n')
			}
			if t.ServerTimeout > 0 {
				_ = conn.SetWriteDeadline(time.Now().Add(t.ServerTimeout))
			}
			if _, err := conn.Write(b); err != nil {
				return seq
			}
			seq++
		}
		seq = next
		select {
		case <-stop:
			return seq
		case <-changed:
		}
	}
}

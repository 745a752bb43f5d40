package h2

import (
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Header is one regular header field, its name in lower case.
type Header struct{ Name, Value string }

// Request is a stream's request head.
type Request struct {
	Method, Scheme, Authority, Path string
	Protocol                        string // :protocol (extended CONNECT)
	Header                          []Header
	// ContentLength is the content-length field's value, -1 without one.
	ContentLength int64
	// NoBody: the HEADERS frame ended the stream.
	NoBody bool
}

// connectionHeaders are the fields HTTP/2 forbids (RFC 9113 8.2.2).
var connectionHeaders = map[string]bool{"connection": true, "proxy-connection": true, "keep-alive": true,
	"transfer-encoding": true, "upgrade": true}

// buildRequest checks a request head as the reference does (a missing
// or empty pseudo-header, a connection-specific field, a te other than
// "trailers", a bad content-length: false, a stream error) and returns it.
// The framer already refused upper-case names, unknown or repeated
// pseudo-headers and pseudo-headers after regular fields.
func buildRequest(f *http2.MetaHeadersFrame) (Request, bool) {
	r := Request{ContentLength: -1, NoBody: f.StreamEnded()}
	if f.Truncated {
		return r, false
	}
	for _, hf := range f.Fields {
		if hf.IsPseudo() {
			switch hf.Name {
			case ":method":
				r.Method = hf.Value
			case ":scheme":
				r.Scheme = hf.Value
			case ":authority":
				r.Authority = hf.Value
			case ":path":
				r.Path = hf.Value
			case ":protocol":
				r.Protocol = hf.Value
			default:
				return r, false // a response pseudo-header
			}
			continue
		}
		if connectionHeaders[hf.Name] || hf.Name == "te" && hf.Value != "trailers" {
			return r, false
		}
		if hf.Name == "content-length" {
			n, err := strconv.ParseInt(hf.Value, 10, 64)
			if err != nil || n < 0 || r.ContentLength >= 0 && r.ContentLength != n {
				return r, false
			}
			r.ContentLength = n
		}
		r.Header = append(r.Header, Header{hf.Name, hf.Value})
	}
	if r.Method == "" {
		return r, false
	}
	if r.Method == "CONNECT" && r.Protocol == "" {
		return r, r.Authority != "" && r.Scheme == "" && r.Path == ""
	}
	return r, r.Scheme != "" && r.Path != ""
}

// Stream is one request stream. Its methods are for the handler's
// goroutine; the connection's reader fills it.
type Stream struct {
	id  uint32
	c   *Conn
	Req Request

	// guarded by c.mu
	in         []byte // body bytes not read yet
	received   int64
	padding    int64 // padding received, credited back with the data
	remoteDone bool  // the client ended its side
	trailers   []Header
	reset      bool // reset by either side, or the connection is gone
	sendWindow int64
	recvWindow int64
	deadline   time.Time
	timer      *time.Timer

	// the handler's side
	headSent, ended bool
}

// Trailers are the request's trailer fields, once Read returned io.EOF.
func (s *Stream) Trailers() []Header {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.trailers
}

// ID is the stream's identifier.
func (s *Stream) ID() uint32 { return s.id }

// Read reads the request body; io.EOF once the client ended the stream.
func (s *Stream) Read(p []byte) (int, error) {
	c := s.c
	c.mu.Lock()
	for len(s.in) == 0 && !s.remoteDone && !s.reset && !s.expired() {
		c.cond.Wait()
	}
	switch {
	case len(s.in) > 0:
	case s.reset:
		c.mu.Unlock()
		return 0, ErrStreamClosed
	case s.remoteDone:
		c.mu.Unlock()
		return 0, eof
	default:
		c.mu.Unlock()
		return 0, errTimeout
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	if len(s.in) == 0 {
		s.in = s.in[:0:0]
	}
	credit := int64(n) + s.padding
	s.padding = 0
	c.recvWindow += credit
	more := !s.remoteDone
	if more {
		s.recvWindow += credit
	}
	c.mu.Unlock()
	c.wmu.Lock()
	c.fr.WriteWindowUpdate(0, uint32(credit))
	if more {
		c.fr.WriteWindowUpdate(s.id, uint32(credit))
	}
	c.wmu.Unlock()
	return n, nil
}

func (s *Stream) expired() bool { return !s.deadline.IsZero() && !time.Now().Before(s.deadline) }

// SetReadDeadline bounds Read's wait, as with net.Conn.
func (s *Stream) SetReadDeadline(t time.Time) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	s.deadline = t
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if !t.IsZero() {
		s.timer = time.AfterFunc(time.Until(t), func() {
			c.mu.Lock()
			c.cond.Broadcast()
			c.mu.Unlock()
		})
	}
}

// Done reports whether the client has ended its side (or the stream is
// gone), so that a Read would not block.
func (s *Stream) Done() bool {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.remoteDone && len(s.in) == 0 || s.reset
}

// WriteHeaders sends a response head (or trailers when the head was
// sent already); end ends the stream.
func (s *Stream) WriteHeaders(status int, hdr []Header, end bool) error {
	c := s.c
	if s.isReset() {
		return ErrStreamClosed
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.hbuf.Reset()
	if status != 0 {
		c.enc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(status)})
	}
	for _, h := range hdr {
		c.enc.WriteField(hpack.HeaderField{Name: strings.ToLower(h.Name), Value: h.Value})
	}
	block := c.hbuf.Bytes()
	c.mu.Lock()
	max := c.peerFrameMax
	c.mu.Unlock()
	first := true
	for {
		n := min(len(block), max)
		frag, rest := block[:n], block[n:]
		var err error
		if first {
			err = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: s.id, BlockFragment: frag,
				EndStream: end, EndHeaders: len(rest) == 0})
			first = false
		} else {
			err = c.fr.WriteContinuation(s.id, len(rest) == 0, frag)
		}
		if err != nil {
			return err
		}
		if block = rest; len(block) == 0 {
			break
		}
	}
	if status >= 200 {
		s.headSent = true
	}
	s.ended = s.ended || end
	return nil
}

func (s *Stream) isReset() bool {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.reset
}

// Write sends body bytes as DATA frames, waiting for flow-control credit.
func (s *Stream) Write(p []byte) (int, error) { return s.write(p, false) }

// End ends the response (an empty DATA frame with END_STREAM when
// nothing else carries it).
func (s *Stream) End() error {
	if s.ended {
		return nil
	}
	_, err := s.write(nil, true)
	return err
}

// WriteEnd writes the last body bytes with END_STREAM on the last frame.
func (s *Stream) WriteEnd(p []byte) error {
	_, err := s.write(p, true)
	return err
}

func (s *Stream) write(p []byte, end bool) (int, error) {
	c := s.c
	done := 0
	for {
		c.mu.Lock()
		for !s.reset && len(p) > 0 && (c.sendWindow <= 0 || s.sendWindow <= 0) {
			c.cond.Wait()
		}
		if s.reset {
			c.mu.Unlock()
			return done, ErrStreamClosed
		}
		n := int64(min(len(p), c.peerFrameMax))
		n = min(n, c.sendWindow, s.sendWindow)
		c.sendWindow -= n
		s.sendWindow -= n
		c.mu.Unlock()
		last := int(n) == len(p)
		c.wmu.Lock()
		err := c.fr.WriteData(s.id, end && last, p[:n])
		c.wmu.Unlock()
		if err != nil {
			return done, err
		}
		done += int(n)
		p = p[n:]
		if last {
			s.ended = s.ended || end
			return done, nil
		}
	}
}

// Reset ends the stream with RST_STREAM and code.
func (s *Stream) Reset(code http2.ErrCode) {
	c := s.c
	c.mu.Lock()
	was := s.reset
	s.reset = true
	c.cond.Broadcast()
	c.mu.Unlock()
	if !was {
		c.resetStream(s.id, code)
	}
	s.ended = true
}

// finish runs after the handler: a response left unfinished is reset;
// a finished one whose request body is still coming asks the client to
// stop sending it.
func (s *Stream) finish() {
	c := s.c
	c.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
	}
	pending := !s.remoteDone && !s.reset
	c.mu.Unlock()
	switch {
	case !s.ended:
		s.Reset(http2.ErrCodeInternal)
	case pending:
		s.Reset(http2.ErrCodeNo)
	}
}

// Read's errors: the end of the body, and a read deadline that passed
// (os.ErrDeadlineExceeded, as net.Conn reports it).
var (
	eof        = io.EOF
	errTimeout = os.ErrDeadlineExceeded
)

// Package h2 is the server side of an HTTP/2 connection (RFC 9113): the
// preface, SETTINGS, streams with their headers (HPACK), bodies under
// flow control, PING, RST_STREAM and GOAWAY. It knows nothing of proxying:
// each request stream is handed to a handler that reads the body and
// writes the response through the Stream.
package h2

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Preface is what an HTTP/2 client sends first.
const Preface = http2.ClientPreface

// Protocol defaults (RFC 9113 section 6.5.2).
const (
	defaultWindow    = 65535
	defaultFrameSize = 16384
	defaultTableSize = 4096
	maxWindow        = 1<<31 - 1
)

// Settings are the values the server advertises.
type Settings struct {
	MaxConcurrentStreams uint32 // tune.h2.max-concurrent-streams (100)
	InitialWindowSize    uint32 // tune.h2.initial-window-size (65535)
	MaxFrameSize         uint32 // tune.h2.max-frame-size (16384)
	HeaderTableSize      uint32 // tune.h2.header-table-size (4096)
}

// DefaultSettings are HAProxy 2.6's.
func DefaultSettings() Settings {
	return Settings{MaxConcurrentStreams: 100, InitialWindowSize: defaultWindow,
		MaxFrameSize: defaultFrameSize, HeaderTableSize: defaultTableSize}
}

// Options configure Serve.
type Options struct {
	Settings Settings
	// IdleTimeout closes (with GOAWAY) a connection without open streams
	// that stays silent that long; 0 waits for ever.
	IdleTimeout time.Duration
	// Draining, when it returns true, makes the connection send GOAWAY and
	// close once its open streams are done. It is polled at stream ends
	// and while idle.
	Draining func() bool
	// BadRequest is told of a request head refused with RST_STREAM
	// (the reference logs it as a bad request).
	BadRequest func()
}

// Handler serves one request stream, in its own goroutine. When it
// returns, the stream is ended: a response not finished is reset.
type Handler func(*Stream)

// ErrStreamClosed is what Stream methods return once the peer reset the
// stream or the connection ended.
var ErrStreamClosed = errors.New("h2: stream closed")

// Conn is one server connection.
type Conn struct {
	nc      net.Conn
	fr      *http2.Framer
	opts    Options
	handler Handler

	wmu  sync.Mutex // framer writes and the HPACK encoder
	hbuf bytes.Buffer
	enc  *hpack.Encoder

	mu           sync.Mutex
	cond         *sync.Cond
	streams      map[uint32]*Stream
	lastID       uint32 // the highest id of a stream opened
	seenID       uint32 // the highest stream id seen, refused ones included
	sendWindow   int64  // connection-level window towards the client
	recvWindow   int64  // connection-level window the client may use
	peerInitial  int64  // the client's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrameMax int
	closed       bool // the reader stopped
	goingAway    bool // GOAWAY sent or received: no new streams
	sentGoAway   bool
	active       sync.WaitGroup
}

// Serve runs the connection until the client leaves, an error ends it or
// it drains. pre holds bytes already read from nc (the start of the
// preface). It does not close nc.
func Serve(nc net.Conn, pre []byte, opts Options, h Handler) error {
	if opts.Settings == (Settings{}) {
		opts.Settings = DefaultSettings()
	}
	c := &Conn{nc: nc, opts: opts, handler: h, streams: map[uint32]*Stream{},
		sendWindow: defaultWindow, recvWindow: int64(opts.Settings.InitialWindowSize),
		peerInitial: defaultWindow, peerFrameMax: defaultFrameSize}
	c.cond = sync.NewCond(&c.mu)
	var r io.Reader = nc
	if len(pre) > 0 {
		r = io.MultiReader(bytes.NewReader(pre), nc)
	}
	if opts.IdleTimeout > 0 {
		nc.SetReadDeadline(time.Now().Add(opts.IdleTimeout))
	}
	got := make([]byte, len(Preface))
	if _, err := io.ReadFull(r, got); err != nil || string(got) != Preface {
		return errors.New("h2: bad client preface")
	}
	c.fr = http2.NewFramer(nc, r)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(opts.Settings.HeaderTableSize, nil)
	c.fr.MaxHeaderListSize = 1 << 20
	c.fr.SetMaxReadFrameSize(opts.Settings.MaxFrameSize)
	c.enc = hpack.NewEncoder(&c.hbuf)
	if err := c.writeSettings(); err != nil {
		return err
	}
	var err error
	if opts.Draining != nil {
		stop := make(chan struct{})
		go c.watchDrain(stop)
		err = c.readLoop()
		close(stop)
	} else {
		err = c.readLoop()
	}
	c.mu.Lock()
	c.closed = true
	for _, s := range c.streams {
		s.reset = true
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	c.active.Wait()
	return err
}

// writeSettings advertises the server's settings, in the reference's
// order, leaving out those at their protocol default.
func (c *Conn) writeSettings() error {
	st := c.opts.Settings
	list := []http2.Setting{{ID: http2.SettingEnableConnectProtocol, Val: 1},
		{ID: http2.SettingMaxConcurrentStreams, Val: st.MaxConcurrentStreams}}
	if st.HeaderTableSize != defaultTableSize {
		list = append(list, http2.Setting{ID: http2.SettingHeaderTableSize, Val: st.HeaderTableSize})
	}
	if st.InitialWindowSize != defaultWindow {
		list = append(list, http2.Setting{ID: http2.SettingInitialWindowSize, Val: st.InitialWindowSize})
	}
	if st.MaxFrameSize != defaultFrameSize {
		list = append(list, http2.Setting{ID: http2.SettingMaxFrameSize, Val: st.MaxFrameSize})
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.fr.WriteSettings(list...)
}

// goAway sends GOAWAY with code; no stream opens after it.
func (c *Conn) goAway(code http2.ErrCode) {
	c.mu.Lock()
	last, sent := c.lastID, c.sentGoAway
	c.goingAway, c.sentGoAway = true, true
	c.mu.Unlock()
	if sent {
		return
	}
	c.wmu.Lock()
	c.fr.WriteGoAway(last, code, nil)
	c.wmu.Unlock()
}

// fail ends the connection for a protocol error, which the reference
// logs as a bad request.
func (c *Conn) fail(code http2.ErrCode) {
	c.goAway(code)
	c.badRequest()
}

func (c *Conn) resetStream(id uint32, code http2.ErrCode) {
	c.wmu.Lock()
	c.fr.WriteRSTStream(id, code)
	c.wmu.Unlock()
}

func (c *Conn) draining() bool { return c.opts.Draining != nil && c.opts.Draining() }

// readLoop reads frames until the connection ends.
func (c *Conn) readLoop() error {
	first := true
	for {
		c.armIdle()
		f, err := c.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			var ce http2.ConnectionError
			switch {
			case errors.As(err, &se):
				c.mu.Lock()
				opening := se.StreamID > c.lastID && c.streams[se.StreamID] == nil
				if opening {
					c.seenID = max(c.seenID, se.StreamID)
				}
				c.mu.Unlock()
				c.streamError(se.StreamID, se.Code)
				if opening {
					c.badRequest()
				}
				continue
			case errors.As(err, &ce):
				c.fail(http2.ErrCode(ce))
				return err
			case errors.Is(err, http2.ErrFrameTooLarge):
				c.fail(http2.ErrCodeFrameSize)
				return err
			case errors.Is(err, hpack.DecodingError{}):
				c.fail(http2.ErrCodeCompression)
				return err
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && c.idle() {
				c.goAway(http2.ErrCodeNo) // timeout client while idle
			}
			return err
		}
		if first {
			if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
				c.fail(http2.ErrCodeProtocol)
				return errors.New("h2: first frame is not SETTINGS")
			}
			first = false
		}
		if code := c.handle(f); code != http2.ErrCodeNo {
			if _, ok := f.(*http2.WindowUpdateFrame); ok {
				c.goAway(code) // the reference logs no bad request for it
			} else {
				c.fail(code)
			}
			return http2.ConnectionError(code)
		}
	}
}

// armIdle sets the read deadline: the idle timeout while no stream is
// open, else none (the streams have their own).
func (c *Conn) armIdle() {
	if d := c.opts.IdleTimeout; d > 0 && c.idle() {
		c.nc.SetReadDeadline(time.Now().Add(d))
	} else {
		c.nc.SetReadDeadline(time.Time{})
	}
}

// watchDrain ends an idle connection with GOAWAY once the process
// drains (busy ones end as their last stream finishes, in run).
func (c *Conn) watchDrain(stop <-chan struct{}) {
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if c.draining() && c.idle() {
				c.goAway(http2.ErrCodeNo)
				c.nc.SetReadDeadline(time.Now())
				return
			}
		}
	}
}

// drainPoll is how often an idle connection looks for a soft stop.
const drainPoll = 200 * time.Millisecond

func (c *Conn) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.streams) == 0
}

// streamError resets a stream for an error in its frames.
func (c *Conn) streamError(id uint32, code http2.ErrCode) {
	c.mu.Lock()
	if s := c.streams[id]; s != nil {
		s.reset = true
		c.cond.Broadcast()
	}
	c.mu.Unlock()
	c.resetStream(id, code)
}

// handle acts on one frame; a code other than ErrCodeNo is a connection
// error.
func (c *Conn) handle(f http2.Frame) http2.ErrCode {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			return http2.ErrCodeNo
		}
		if code := c.applySettings(f); code != http2.ErrCodeNo {
			return code
		}
		c.wmu.Lock()
		c.fr.WriteSettingsAck()
		c.wmu.Unlock()
	case *http2.PingFrame:
		if !f.IsAck() {
			c.wmu.Lock()
			c.fr.WritePing(true, f.Data)
			c.wmu.Unlock()
		}
	case *http2.MetaHeadersFrame:
		return c.headers(f)
	case *http2.DataFrame:
		return c.data(f)
	case *http2.WindowUpdateFrame:
		return c.windowUpdate(f)
	case *http2.RSTStreamFrame:
		c.mu.Lock()
		if s := c.streams[f.StreamID]; s != nil {
			s.reset = true
			c.cond.Broadcast()
		} else if f.StreamID > max(c.lastID, c.seenID) {
			c.mu.Unlock()
			return http2.ErrCodeProtocol // an idle stream
		}
		c.mu.Unlock()
	case *http2.GoAwayFrame:
		c.mu.Lock()
		c.goingAway = true
		c.mu.Unlock()
	case *http2.PushPromiseFrame:
		return http2.ErrCodeProtocol
	}
	return http2.ErrCodeNo
}

func (c *Conn) applySettings(f *http2.SettingsFrame) http2.ErrCode {
	code := http2.ErrCodeNo
	f.ForeachSetting(func(s http2.Setting) error {
		switch s.ID {
		case http2.SettingInitialWindowSize:
			c.mu.Lock()
			delta := int64(s.Val) - c.peerInitial
			c.peerInitial = int64(s.Val)
			for _, st := range c.streams {
				st.sendWindow += delta
				if st.sendWindow > maxWindow {
					code = http2.ErrCodeFlowControl
				}
			}
			c.cond.Broadcast()
			c.mu.Unlock()
		case http2.SettingMaxFrameSize:
			c.mu.Lock()
			c.peerFrameMax = int(s.Val)
			c.mu.Unlock()
		case http2.SettingHeaderTableSize:
			c.wmu.Lock()
			c.enc.SetMaxDynamicTableSizeLimit(s.Val)
			c.wmu.Unlock()
		}
		return nil
	})
	return code
}

func (c *Conn) windowUpdate(f *http2.WindowUpdateFrame) http2.ErrCode {
	c.mu.Lock()
	defer c.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		c.sendWindow += inc
		if c.sendWindow > maxWindow {
			return http2.ErrCodeFlowControl
		}
	} else if s := c.streams[f.StreamID]; s != nil {
		s.sendWindow += inc
		if s.sendWindow > maxWindow {
			s.reset = true
			c.mu.Unlock()
			c.resetStream(s.id, http2.ErrCodeFlowControl)
			c.mu.Lock()
		}
	}
	c.cond.Broadcast()
	return http2.ErrCodeNo
}

// data queues a DATA frame's payload on its stream, under flow control.
func (c *Conn) data(f *http2.DataFrame) http2.ErrCode {
	n := int64(f.Length)
	c.mu.Lock()
	if n > c.recvWindow {
		c.mu.Unlock()
		return http2.ErrCodeFlowControl
	}
	c.recvWindow -= n
	s := c.streams[f.StreamID]
	if s == nil || s.reset || s.remoteDone {
		c.recvWindow += n // nobody reads it: give it back at once
		c.mu.Unlock()
		if f.StreamID > max(c.lastID, c.seenID) {
			return http2.ErrCodeProtocol // an idle stream
		}
		if n > 0 {
			c.wmu.Lock()
			c.fr.WriteWindowUpdate(0, uint32(n))
			c.wmu.Unlock()
		}
		if s == nil || s.reset {
			c.resetStream(f.StreamID, http2.ErrCodeStreamClosed)
		}
		return http2.ErrCodeNo
	}
	if n > s.recvWindow {
		s.reset = true
		c.recvWindow += n
		c.cond.Broadcast()
		c.mu.Unlock()
		c.resetStream(s.id, http2.ErrCodeFlowControl)
		return http2.ErrCodeNo
	}
	s.recvWindow -= n
	s.padding += n - int64(len(f.Data()))
	s.in = append(s.in, f.Data()...)
	s.received += int64(len(f.Data()))
	bad := false
	if f.StreamEnded() {
		s.remoteDone = true
		bad = s.Req.ContentLength >= 0 && s.received != s.Req.ContentLength
	} else if s.Req.ContentLength >= 0 && s.received > s.Req.ContentLength {
		bad = true
	}
	if bad {
		s.reset = true
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	if bad {
		c.resetStream(s.id, http2.ErrCodeProtocol)
	}
	return http2.ErrCodeNo
}

// headers opens a stream (or takes trailers of an open one).
func (c *Conn) headers(f *http2.MetaHeadersFrame) http2.ErrCode {
	id := f.StreamID
	c.mu.Lock()
	if s := c.streams[id]; s != nil {
		// Trailers: they end the body.
		if !f.StreamEnded() || len(f.PseudoFields()) > 0 || s.remoteDone {
			c.mu.Unlock()
			c.streamError(id, http2.ErrCodeProtocol)
			return http2.ErrCodeNo
		}
		for _, hf := range f.RegularFields() {
			s.trailers = append(s.trailers, Header{hf.Name, hf.Value})
		}
		s.remoteDone = true
		c.cond.Broadcast()
		c.mu.Unlock()
		return http2.ErrCodeNo
	}
	if id%2 == 0 || id <= c.lastID {
		c.mu.Unlock()
		if id%2 == 1 {
			return http2.ErrCodeStreamClosed
		}
		return http2.ErrCodeProtocol
	}
	c.seenID = max(c.seenID, id)
	if c.goingAway {
		c.mu.Unlock()
		return http2.ErrCodeNo
	}
	// The highest id moves with the streams that open (or are refused
	// for the limit), not with heads refused as malformed, as with the
	// reference.
	if uint32(len(c.streams)) >= c.opts.Settings.MaxConcurrentStreams {
		c.lastID = id
		c.mu.Unlock()
		c.resetStream(id, http2.ErrCodeRefusedStream)
		return http2.ErrCodeNo
	}
	req, ok := buildRequest(f)
	if !ok {
		c.mu.Unlock()
		c.resetStream(id, http2.ErrCodeProtocol)
		c.badRequest()
		return http2.ErrCodeNo
	}
	c.lastID = id
	s := &Stream{id: id, c: c, Req: req, sendWindow: c.peerInitial,
		recvWindow: int64(c.opts.Settings.InitialWindowSize), remoteDone: f.StreamEnded()}
	if s.remoteDone && req.ContentLength > 0 {
		c.mu.Unlock()
		c.resetStream(id, http2.ErrCodeProtocol)
		return http2.ErrCodeNo
	}
	c.streams[id] = s
	c.active.Add(1)
	c.mu.Unlock()
	go c.run(s)
	return http2.ErrCodeNo
}

func (c *Conn) badRequest() {
	if c.opts.BadRequest != nil {
		c.opts.BadRequest()
	}
}

// run serves one stream and forgets it.
func (c *Conn) run(s *Stream) {
	defer c.active.Done()
	c.handler(s)
	s.finish()
	c.mu.Lock()
	delete(c.streams, s.id)
	idle := len(c.streams) == 0
	c.mu.Unlock()
	if idle && c.draining() {
		c.goAway(http2.ErrCodeNo)
		c.nc.SetReadDeadline(time.Now()) // the reader ends
	}
}

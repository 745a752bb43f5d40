package proxy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/proxy/sample"
	"fulcrum/proxy/spop"
)

// SPOEAgent is a `filter spoe` engine's agent at run time: where its
// agents listen (a tcp backend), how long to wait for them, which
// variables its answers and errors set, and its pool of idle agent
// connections (one NOTIFY in flight per connection: no pipelining, no
// async).
type SPOEAgent struct {
	Engine, ID string
	// Backend is the agents' backend (use-backend).
	Backend string
	// VarPrefix goes between a variable's scope and its name.
	VarPrefix string
	// OnError, ProcessTime and TotalTime name the txn variables
	// set-on-error, set-process-time and set-total-time set ("": none).
	OnError, ProcessTime, TotalTime string
	// Hello, Idle and Processing are the agent's timeouts (0: none).
	Hello, Idle, Processing time.Duration
	// MaxFrameSize is the largest frame offered in the HELLO.
	MaxFrameSize int
	// ContinueOnError: a stream's later events are still processed
	// after one failed.
	ContinueOnError bool
	// EngineID is the engine-id sent in each HELLO.
	EngineID string

	pool spoePool
}

// SPOEMessage is one spoe-message: its arguments and the condition it
// is sent under (nil: always).
type SPOEMessage struct {
	Name string
	Args []SPOEArg
	Cond Cond
}

// SPOEArg is one message argument; Name is "" for an unnamed one.
type SPOEArg struct {
	Name string
	Expr *sample.Expr
}

// Errors a stream's processing ends with, set in the set-on-error
// variable as the reference numbers them.
const (
	spoeErrTimeout = 1
	// spoeErrAgent adds the status of an AGENT-DISCONNECT.
	spoeErrAgent = 0x100
)

type spoeError struct{ code int }

func (e *spoeError) Error() string { return "spoe error " + strconv.Itoa(e.code) }

// spoeMaxFrame is the default max-frame-size: tune.bufsize less the
// 4-byte length.
const spoeMaxFrame = 16380

// spoeStreamIDs numbers the NOTIFY frames' streams.
var spoeStreamIDs atomic.Uint64

// spoeMark names a transaction variable of the agent's own bookkeeping
// (what: "failed" once an event failed, which skips the stream's later
// events unless option continue-on-error; an event's name once it ran).
// No configuration can name it (the NUL).
func spoeMark(a *SPOEAgent, what string) string { return "txn.\x00spoe." + a.Engine + "." + what }

// Process sends msgs (those whose condition holds) to the agent for s
// and applies the answer's actions, as an event or send-spoe-group.
// Errors never stop the stream: they set the error variable.
func (a *SPOEAgent) Process(s *Session, msgs []*SPOEMessage) {
	if _, failed := s.Var(spoeMark(a, "failed")); failed && !a.ContinueOnError {
		return
	}
	var payload []byte
	var sm sample.Sample
	for _, m := range msgs {
		if m.Cond != nil && m.Cond(s) != True {
			continue
		}
		msg := spop.Message{Name: m.Name, Args: make([]spop.KV, len(m.Args))}
		for i, arg := range m.Args {
			msg.Args[i] = spop.KV{Name: arg.Name, Value: spopValue(arg.Expr, s, &sm)}
		}
		payload = spop.AppendMessage(payload, &msg)
	}
	if payload == nil {
		return // nothing to send
	}
	start := time.Now()
	acts, err := a.exchange(s, payload, start)
	elapsed := strconv.FormatInt(time.Since(start).Milliseconds(), 10)
	if a.ProcessTime != "" {
		s.SetVar("txn."+a.VarPrefix+"."+a.ProcessTime, elapsed)
	}
	if a.TotalTime != "" {
		// No queue in front of the agents here: the total is the
		// processing time.
		s.SetVar("txn."+a.VarPrefix+"."+a.TotalTime, elapsed)
	}
	if err != nil {
		code := spoeErrTimeout
		var se *spoeError
		if errors.As(err, &se) {
			code = se.code
		}
		s.SetVar(spoeMark(a, "failed"), "1")
		if a.OnError != "" {
			s.SetVar("txn."+a.VarPrefix+"."+a.OnError, strconv.Itoa(code))
		}
		return
	}
	for _, act := range acts {
		name := spop.ScopeNames[act.Scope] + "." + a.VarPrefix + "." + act.Name
		if act.Kind == spop.UnsetVar {
			s.UnsetVar(name)
			continue
		}
		if v, ok := varText(act.Value); ok {
			s.SetVar(name, v)
		}
	}
}

// spopValue evaluates an argument into its SPOP type; a sample that
// cannot be fetched is sent as null, as the reference does.
func spopValue(x *sample.Expr, s *Session, sm *sample.Sample) spop.Value {
	if x == nil || x.Eval(s, sm) != sample.Found { // nil: a fetch not built (warned)
		return spop.Value{Type: spop.Null}
	}
	switch sm.Type {
	case sample.Bool:
		return spop.Value{Type: spop.Bool, Int: sm.Int}
	case sample.Int:
		return spop.Value{Type: spop.Int64, Int: sm.Int}
	case sample.IPv4:
		return spop.Value{Type: spop.IPv4, IP: sm.IP}
	case sample.IPv6:
		return spop.Value{Type: spop.IPv6, IP: sm.IP}
	case sample.Bin:
		return spop.Value{Type: spop.Binary, Bytes: append([]byte(nil), sm.Bytes...)}
	}
	return spop.Value{Type: spop.String, Bytes: append([]byte(nil), sm.Bytes...)}
}

// varText is a typed SPOP value as the engine's (textual) variables
// hold it; false for null, which sets nothing.
func varText(v spop.Value) (string, bool) {
	switch v.Type {
	case spop.Null:
		return "", false
	case spop.Bool, spop.Int32, spop.Int64:
		return strconv.FormatInt(v.Int, 10), true
	case spop.Uint32, spop.Uint64:
		return strconv.FormatUint(uint64(v.Int), 10), true
	case spop.IPv4, spop.IPv6:
		return v.IP.String(), true
	}
	return string(v.Bytes), true
}

// exchange sends one NOTIFY on an agent connection and waits for its
// ACK, within the processing timeout from start.
func (a *SPOEAgent) exchange(s *Session, payload []byte, start time.Time) ([]spop.Action, error) {
	ctx := context.Background()
	var cancel context.CancelFunc
	if a.Processing > 0 {
		ctx, cancel = context.WithDeadline(ctx, start.Add(a.Processing))
	} else {
		// Without timeout processing the reference's stream waits for
		// the agent for good; here until the engine stops.
		ctx, cancel = context.WithCancel(ctx)
		go cancelOnDrain(ctx, s.Engine, cancel)
	}
	defer cancel()
	frame := &spop.Frame{Type: spop.Notify, Flags: spop.FlagFin, StreamID: spoeStreamIDs.Add(1), FrameID: 1, Payload: payload}
	wire := spop.AppendFrame(nil, frame)
	c, err := a.conn(ctx, s)
	if err != nil {
		// No agent could be reached before the processing timeout (the
		// reference keeps trying until then).
		return nil, &spoeError{spoeErrTimeout}
	}
	acts, err := a.notify(ctx, c, frame, wire)
	if err != nil && !isTimeout(err) && !errors.As(err, new(*spoeError)) {
		// The agent went away: the reference counts an I/O error.
		err = &spoeError{spoeErrAgent + spop.StatusIO}
	}
	return acts, err
}

// cancelOnDrain cancels ctx once e stops serving (or ctx ends).
func cancelOnDrain(ctx context.Context, e *Engine, cancel context.CancelFunc) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if e.isDraining() {
				cancel()
				return
			}
		}
	}
}

// notify sends a NOTIFY frame on c and reads its ACK.
func (a *SPOEAgent) notify(ctx context.Context, c *spoeConn, frame *spop.Frame, wire []byte) ([]spop.Action, error) {
	if len(wire)-4 > c.maxFrame {
		// The reference would have to fragment it: it gives the
		// connection up, and the stream waits for the processing
		// timeout.
		c.bye(spop.StatusFragNotSupport)
		<-ctx.Done()
		return nil, &spoeError{spoeErrTimeout}
	}
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	} else {
		c.SetDeadline(time.Time{})
		defer context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })()
	}
	if _, err := c.Write(wire); err != nil {
		c.close()
		return nil, err
	}
	for {
		f, err := spop.ReadFrame(c, c.maxFrame)
		if err != nil {
			c.close()
			return nil, err
		}
		switch f.Type {
		case spop.Ack:
			if f.StreamID != frame.StreamID || f.FrameID != frame.FrameID {
				continue // a late answer to an abandoned frame
			}
			acts, err := spop.ReadActions(f.Payload)
			if err != nil {
				c.close()
				return nil, &spoeError{spoeErrAgent + spop.StatusInvalid}
			}
			a.pool.put(a, c)
			return acts, nil
		case spop.AgentDisconnect:
			c.close()
			return nil, &spoeError{spoeErrAgent + disconnectStatus(f.Payload)}
		default:
			c.close()
			return nil, &spoeError{spoeErrAgent + spop.StatusInvalid}
		}
	}
}

func disconnectStatus(payload []byte) int {
	kvs, err := spop.ReadKVs(payload)
	if err != nil {
		return spop.StatusInvalid
	}
	v, _ := spop.Lookup(kvs, "status-code")
	return int(v.Int)
}

// spoeConn is one connection to an agent, HELLO done.
type spoeConn struct {
	net.Conn
	be       *backend
	srv      *server
	maxFrame int
	idle     *time.Timer // closes it once idle too long in the pool
}

// close ends the connection and gives its server slot back.
func (c *spoeConn) close() {
	c.Conn.Close()
	c.be.release(c.srv)
}

// spoePool holds an agent's idle connections.
type spoePool struct {
	mu   sync.Mutex
	idle []*spoeConn
}

func (p *spoePool) get() *spoeConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if c.idle != nil && !c.idle.Stop() {
			continue // expiring
		}
		if c.alive() {
			return c
		}
		c.close()
	}
	return nil
}

// alive tells whether an idle connection is still open: the reference
// sees an agent close its idle connections at once; here it shows as
// an end of file (or unexpected bytes) waiting to be read.
func (c *spoeConn) alive() bool {
	c.SetReadDeadline(time.Now())
	var b [1]byte
	_, err := c.Read(b[:])
	c.SetReadDeadline(time.Time{})
	return isTimeout(err)
}

func (p *spoePool) put(a *SPOEAgent, c *spoeConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a.Idle > 0 {
		c.idle = time.AfterFunc(a.Idle, func() { p.expire(c) })
	}
	p.idle = append(p.idle, c)
}

// expire closes a connection idle for `timeout idle`, saying goodbye
// as the reference does.
func (p *spoePool) expire(c *spoeConn) {
	p.mu.Lock()
	for i, x := range p.idle {
		if x == c {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	c.bye(spop.StatusTimeout)
}

// bye closes the connection with a HAPROXY-DISCONNECT frame.
func (c *spoeConn) bye(status int) {
	c.SetDeadline(time.Now().Add(time.Second))
	c.Write(spop.AppendFrame(nil, &spop.Frame{Type: spop.HAProxyDisconnect, Flags: spop.FlagFin, Payload: disconnectPayload(status)}))
	c.close()
}

func disconnectPayload(status int) []byte {
	p := spop.AppendKV(nil, spop.KV{Name: "status-code", Value: spop.Value{Type: spop.Uint32, Int: int64(status)}})
	return spop.AppendKV(p, spop.KV{Name: "message", Value: spop.Value{Type: spop.String, Bytes: []byte(spop.StatusText(status))}})
}

// conn takes an idle agent connection or opens one: connect to a
// server of the agents' backend (retrying, as a stream would, until
// ctx ends), then the HELLO handshake within the hello timeout.
func (a *SPOEAgent) conn(ctx context.Context, s *Session) (*spoeConn, error) {
	if c := a.pool.get(); c != nil {
		return c, nil
	}
	be := s.Engine.rt.Load().backends[a.Backend]
	if be == nil {
		return nil, fmt.Errorf("spoe: no backend '%s'", a.Backend)
	}
	for {
		stream := &Session{Engine: s.Engine, Frontend: a.Backend, Src: s.Src, Dst: s.Dst}
		nc, srv, err := be.connect(ctx, stream, &Record{Accept: time.Now()})
		if err == nil {
			c := &spoeConn{Conn: nc, be: be, srv: srv}
			if err = a.hello(ctx, c); err == nil {
				return c, nil
			}
			c.close()
		}
		// The reference keeps trying until the processing timeout.
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// hello is the HAPROXY-HELLO / AGENT-HELLO handshake.
func (a *SPOEAgent) hello(ctx context.Context, c *spoeConn) error {
	size := a.MaxFrameSize
	if size == 0 {
		size = spoeMaxFrame
	}
	var p []byte
	p = spop.AppendKV(p, spop.KV{Name: "supported-versions", Value: spop.Value{Type: spop.String, Bytes: []byte("2.0")}})
	p = spop.AppendKV(p, spop.KV{Name: "max-frame-size", Value: spop.Value{Type: spop.Uint32, Int: int64(size)}})
	// No pipelining and no async: one frame in flight per connection.
	p = spop.AppendKV(p, spop.KV{Name: "capabilities", Value: spop.Value{Type: spop.String}})
	p = spop.AppendKV(p, spop.KV{Name: "engine-id", Value: spop.Value{Type: spop.String, Bytes: []byte(a.EngineID)}})
	deadline, _ := ctx.Deadline()
	if a.Hello > 0 && (deadline.IsZero() || time.Now().Add(a.Hello).Before(deadline)) {
		deadline = time.Now().Add(a.Hello)
	}
	c.SetDeadline(deadline)
	if _, err := c.Write(spop.AppendFrame(nil, &spop.Frame{Type: spop.HAProxyHello, Flags: spop.FlagFin, Payload: p})); err != nil {
		return err
	}
	f, err := spop.ReadFrame(c, size)
	if err != nil {
		return err
	}
	if f.Type == spop.AgentDisconnect {
		return &spoeError{spoeErrAgent + disconnectStatus(f.Payload)}
	}
	if f.Type != spop.AgentHello {
		return &spoeError{spoeErrAgent + spop.StatusInvalid}
	}
	kvs, err := spop.ReadKVs(f.Payload)
	if err != nil {
		return &spoeError{spoeErrAgent + spop.StatusInvalid}
	}
	if v, ok := spop.Lookup(kvs, "version"); !ok || v.Type != spop.String || string(v.Bytes) != "2.0" {
		return &spoeError{spoeErrAgent + spop.StatusBadVersion}
	}
	v, ok := spop.Lookup(kvs, "max-frame-size")
	if !ok || v.Int <= 0 || v.Int > int64(size) {
		return &spoeError{spoeErrAgent + spop.StatusBadFrameSize}
	}
	c.maxFrame = int(v.Int)
	return nil
}

// newEngineID makes a random UUID (version 4) naming this process's
// engine to the agents.
func newEngineID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

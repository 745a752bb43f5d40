package proxy

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/confparse"
	"fulcrum/proxy/logformat"
)

// Record is what the engine knows about a finished connection (tcp mode)
// or request (http mode), for access logs.
type Record struct {
	Client    netip.AddrPort
	Listener  netip.AddrPort // %fi:%fp: the address the client connected to
	Accept    time.Time
	Frontend  string
	Backend   string         // "" when no backend was chosen
	Server    string         // "<NOSRV>" when no server was reached
	SrvAddr   netip.AddrPort // %si:%sp of the server picked
	LocalAddr netip.AddrPort // %bi:%bp: our end of the server connection
	TQueue    time.Duration  // %Tw: time in queues; -1 if never queued/assigned
	TConnect  time.Duration  // %Tc: time to establish; -1 if never established
	TTotal    time.Duration  // %Tt
	BytesOut  int64          // %B: server->client bytes
	BytesIn   int64          // %U: client->server bytes
	Term      [2]byte        // %ts: who ended it, and in which state
	ActConn   int64          // %ac: process connections (this one included)
	FeConn    int64          // %fc: frontend connections (this one included)
	BeConn    int64          // %bc: backend connections (this one excluded)
	SrvConn   int64          // %sc: server connections (this one excluded)
	Retries   int            // %rc
	Redispath bool           // %rc gets a '+' prefix when redispatched
	SrvQueue  int            // %sq
	BeQueue   int            // %bq
	// Log is the frontend's access-log settings (nil: it has none).
	Log *AccessLog
	// HTTP holds the request's details in http mode (nil in tcp mode);
	// there is one Record per request, valid during the AccessLog call.
	HTTP *HTTPRecord
	// reqCount is %rt plus one (0: not numbered yet).
	reqCount uint64
	// sess is what `%[...]` samples read.
	sess *Session
	// accepted marks the accept-time call of an AtAccept frontend.
	accepted bool
	// connError is the line of a connection that ended before a stream
	// began (a failed TLS handshake), in the reference's fixed form.
	connError *connError
	// early marks the line option logasap writes when a tcp stream's
	// server connection is up; loggedEarly, that it went out
	// (tcplogasap.go).
	early, loggedEarly bool
}

// AccessLog is a frontend's access-log settings: its format (option
// tcplog, httplog, log-format), what it leaves out, the headers it
// captures and the unique ID it gives requests.
type AccessLog struct {
	Format *logformat.Format // nil: no access lines
	// SD is `log-format-sd`: the structured-data part of RFC 5424 lines.
	SD *logformat.Format
	// DontLogNull skips connections that sent nothing; DontLogNormal
	// skips those that ended without an error; SeparateErrors raises the
	// level of errors from info to err (`option log-separate-errors`).
	DontLogNull, DontLogNormal, SeparateErrors bool
	// ReqCaptures and ResCaptures are `capture request|response header`
	// (and `declare capture` slots) in declaration order.
	ReqCaptures, ResCaptures []Capture
	// UniqueID is `unique-id-format`; UniqueIDHeader names the request
	// header carrying it to the server (`unique-id-header`).
	UniqueID       *logformat.Format
	UniqueIDHeader string
	// AtAccept is the reference's default format, used when a frontend
	// sets none: one "Connect from" line (Format) per stream, when it
	// starts.
	AtAccept bool
	// ASAP is option logasap: an http request is logged as soon as the
	// response head is sent (httpgaps.go).
	ASAP bool

	logCount atomic.Uint64 // %lc
	// ruleSlots are the capture slots of `http-request capture ... len
	// N` rules, by the rule's position.
	ruleSlots map[confparse.Pos]int
}

// Capture is one captured header: its name ("" for a `declare capture`
// slot that only rules fill) and the longest value kept.
type Capture struct {
	Name string
	Len  int
}

// ConnectFormat is the reference's line for a frontend without a log
// format: "Connect from" when a stream starts (at accept in tcp mode,
// once a request is parsed in http mode), whatever the log options.
func ConnectFormat(http bool) string {
	if http {
		return "Connect from %ci:%cp to %fi:%fp (%f/HTTP)"
	}
	return "Connect from %ci:%cp to %fi:%fp (%f/TCP)"
}

// logAccept writes the "Connect from" line of a frontend that has no
// log format.
func (e *Engine) logAccept(r *Record) {
	if r.Log == nil || !r.Log.AtAccept || e.opts.AccessLog == nil {
		return
	}
	r.accepted = true
	e.opts.AccessLog(r)
	r.accepted = false
}

// Syslog levels of access lines.
const (
	levelErr  = 3
	levelInfo = 6
)

// Level is the syslog level of r's access line; skip is true when the
// frontend's options leave it out (`dontlognull`, `dontlog-normal`).
func (r *Record) Level() (level int, skip bool) {
	l := r.Log
	if l == nil || l.Format == nil {
		return 0, true
	}
	if r.connError != nil {
		return r.connError.level(l)
	}
	if l.AtAccept != r.accepted {
		return 0, true
	}
	if r.accepted {
		return levelInfo, false
	}
	if l.DontLogNull && r.BytesIn == 0 && !r.early {
		return 0, true
	}
	// The reference's notion of an error: an abnormal end (other than a
	// local answer), a redispatch, a retry, or a 5xx.
	err := r.Redispath || r.Term[0] != termNone && r.Term[0] != 'L' && r.Term[0] != 0 ||
		r.Retries > 0 || r.HTTP != nil && r.HTTP.Status >= 500
	if !err && l.DontLogNormal {
		return 0, true
	}
	level = levelInfo
	if err && l.SeparateErrors {
		level = levelErr
	}
	if s := r.sess; s != nil && s.logLevel != 0 { // set-log-level
		if s.logLevel == logSilent {
			return 0, true
		}
		level = int(s.logLevel) - 1
	}
	return level, false
}

var (
	pid      = os.Getpid()
	hostname = func() string { h, _ := os.Hostname(); return h }()
	reqCount atomic.Uint64 // %rt: the process's request (stream) counter
)

// number gives r its %rt once.
func (r *Record) number() uint64 {
	if r.reqCount == 0 {
		r.reqCount = reqCount.Add(1)
	}
	return r.reqCount - 1
}

// values fills v from r for the renderer.
func (r *Record) values(v *logformat.Values) {
	*v = logformat.Values{Client: r.Client, Frontend: r.Listener, BackendSrc: r.LocalAddr, Server: r.SrvAddr,
		Accept: r.Accept, FrontendName: r.Frontend, BackendName: r.Backend, ServerName: r.Server,
		Th: 0, Ti: 0, TR: -1, Tw: r.TQueue, Tc: r.TConnect, Tr: -1, Ta: -1, Tt: r.TTotal,
		BytesOut: r.BytesOut, BytesIn: r.BytesIn, Term: r.Term,
		ActConn: r.ActConn, FeConn: r.FeConn, BeConn: r.BeConn, SrvConn: r.SrvConn,
		Retries: r.Retries, Redispatched: r.Redispath, SrvQueue: r.SrvQueue, BeQueue: r.BeQueue,
		PID: pid, Hostname: hostname, ReqCount: r.number(), Ctx: r}
	if r.Server == "<NOSRV>" {
		v.ServerName = ""
	}
	r.tlsValues(v)
	if r.TConnect >= 0 {
		v.Tr = 0 // tcp: the data phase starts at the connection
	}
	h := r.HTTP
	if h == nil {
		v.Partial = r.Log != nil && r.Log.ASAP
		return
	}
	v.RequestStart = h.Start.Add(max(h.TIdle, 0))
	v.Ti, v.TR, v.Tr, v.Ta = max(h.TIdle, 0), h.TReq, h.TResp, h.TActive-max(h.TIdle, 0)
	if r.TQueue >= 0 && h.TReq >= 0 {
		// The engine times the queue from the exchange's start; %Tw
		// starts once the request head is in.
		v.Tw = max(r.TQueue-v.Ti-h.TReq, 0)
	}
	v.Status, v.Request, v.UniqueID, v.Cookie = h.Status, h.Request, h.UniqueID, h.Cookie
	v.ReqCaptures, v.ResCaptures = h.ReqCaptures, h.ResCaptures
	v.Cookie = h.Cookie
	v.NoStream = string(h.Request) == "<BADREQ>"
	v.Partial = h.ASAP
}

// noteBackendSrc records c's local address for %bi and %bp, unless the
// log format has no use for it: a getsockname per connection saved.
func (r *Record) noteBackendSrc(c net.Conn) {
	if l := r.Log; l == nil || l.Format.Uses(logformat.VarBackendSrcIP) || l.Format.Uses(logformat.VarBackendSrcPort) ||
		l.SD.Uses(logformat.VarBackendSrcIP) || l.SD.Uses(logformat.VarBackendSrcPort) {
		r.LocalAddr = localAddrPort(c)
	}
}

// routeSource is the local address the kernel picks towards dst, found
// by connecting a UDP socket (which sends nothing).
func routeSource(dst netip.AddrPort) netip.AddrPort {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return netip.AddrPort{}
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// idBufs hold unique IDs built for a line.
var idBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// valuesPool keeps the renderer's input off the heap of each line.
var valuesPool = sync.Pool{New: func() any { return new(logformat.Values) }}

// AppendLine appends r's access line in its frontend's format (nothing
// when it has none). It counts the line for %lc.
func (r *Record) AppendLine(dst []byte) []byte {
	if r.connError != nil {
		return r.connError.appendLine(dst, r)
	}
	if r.Log == nil || r.Log.Format == nil {
		return dst
	}
	return r.render(dst, r.Log.Format, true)
}

// AppendSD appends the `log-format-sd` part of r's line.
func (r *Record) AppendSD(dst []byte) []byte {
	if r.Log == nil || r.Log.SD == nil || r.connError != nil {
		return dst
	}
	return r.render(dst, r.Log.SD, false)
}

func (r *Record) render(dst []byte, f *logformat.Format, count bool) []byte {
	v := valuesPool.Get().(*logformat.Values)
	r.values(v)
	if !v.BackendSrc.IsValid() && v.Server.IsValid() &&
		(f.Uses(logformat.VarBackendSrcIP) || f.Uses(logformat.VarBackendSrcPort)) {
		// Every connection attempt failed: the reference still logs the
		// source its socket was bound to.
		v.BackendSrc = routeSource(v.Server)
	}
	if v.UniqueID == nil && !v.NoStream && r.Log != nil && r.Log.UniqueID != nil && f.Uses(logformat.VarUniqueID) {
		// tcp mode: the ID is built when the line needs it.
		bp := idBufs.Get().(*[]byte)
		*bp = r.Log.UniqueID.Render((*bp)[:0], v)
		v.UniqueID = *bp
		defer idBufs.Put(bp)
	}
	switch {
	case r.Log == nil:
	case count:
		v.LogCount = r.Log.logCount.Add(1) - 1
	default:
		v.LogCount = r.Log.logCount.Load()
	}
	dst = f.Render(dst, v)
	*v = logformat.Values{}
	valuesPool.Put(v)
	return dst
}

// Termination codes (first character: who, second: when), as HAProxy's.
const (
	termNone          = '-'
	termClientAbort   = 'C'
	termServerAbort   = 'S'
	termClientTimeout = 'c'
	termServerTimeout = 's'
	termProxy         = 'P'
	stateNone         = '-'
	stateRequest      = 'R'
	stateQueue        = 'Q'
	stateConnect      = 'C'
	stateData         = 'D'
)

// Built-in formats, compiled once.
var (
	tcpLogFormat  = mustCompile(logformat.TCPLog, false)
	httpLogFormat = mustCompile(logformat.HTTPLog, true)
)

func mustCompile(s string, http bool) *logformat.Format {
	f, err := logformat.Compile(s, logformat.Options{HTTP: http})
	if err != nil {
		panic("built-in log format: " + err.Error())
	}
	return f
}

// TCPLog formats r as HAProxy's `option tcplog` line:
// %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
func TCPLog(r *Record) string {
	return string(r.render(nil, tcpLogFormat, false))
}

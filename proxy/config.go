package proxy

import (
	"crypto/tls"
	"fulcrum/proxy/proxyproto"
	"net"
	"net/netip"
	"os"
	"time"

	"fulcrum/proxy/balance"
	"fulcrum/proxy/check"
	"fulcrum/proxy/fdlimit"
	"fulcrum/proxy/h2"
	"fulcrum/proxy/httpcache"
	"fulcrum/proxy/resolve"
	"fulcrum/proxy/sample"
	"fulcrum/proxy/srcbind"
	"fulcrum/proxy/stick"
	"fulcrum/proxy/userlist"
)

// Config is the engine's runtime configuration: plain values, already
// validated and defaulted by the haproxy model's adapter. The engine never
// reads files or parses configuration text.
type Config struct {
	// MaxConn is the global `maxconn`: connections accepted by the whole
	// process at once (0 = unlimited).
	MaxConn   int
	Frontends []*Frontend
	Backends  []*Backend
	// Caches are the cache sections' stores (cache.go).
	Caches []*httpcache.Cache
	// Order lists the proxy names (frontend, backend and listen sections;
	// a listen is a Frontend and a Backend of the same name) in the
	// configuration's order, for the messages HAProxy prints per proxy.
	// Empty means frontends first, then backends.
	Order []string
	// Patterns are the pattern and map files loaded, which the Runtime
	// API lists and changes (frompatterns.go).
	Patterns *sample.Refs
	// Stats is the statistics configuration (ids, stats pages); nil =
	// none.
	Stats *StatsGlobal
	// Tables are the stick tables, in configuration order.
	Tables []stick.Spec
	// Peers are the enabled peers sections (frompeers.go).
	Peers []PeersSection
	// Userlists are the `userlist` sections, by name.
	Userlists map[string]*userlist.List
	// H2 are the HTTP/2 settings advertised to clients (tune.h2.*).
	H2 h2.Settings
	// SpreadChecks are spread-checks and max-spread-checks.
	SpreadChecks SpreadChecks
	// ProcVars are the global set-var and set-var-fmt lines (procvars.go).
	ProcVars []ProcVarInit
	// ConnRateLimit and SessRateLimit are the global maxconnrate and
	// maxsessrate (0 = none; ratelimits.go).
	ConnRateLimit, SessRateLimit int
	// Resolvers are the `resolvers` sections, by name; ResolversOrder
	// their names as `show resolvers` lists them.
	Resolvers      map[string]*resolve.Config
	ResolversOrder []string
	// Limits are the process's descriptor limits, for `show info` (zero:
	// not computed, the figures derive from MaxConn).
	Limits fdlimit.Limits
}

// Frontend is a `frontend` (or the frontend half of a `listen`) in tcp mode.
type Frontend struct {
	Name string
	// Mode is `mode`; HTTP holds the settings of ModeHTTP.
	Mode  Mode
	HTTP  HTTPFrontend
	Binds []Bind
	// MaxConn is the frontend `maxconn`; listeners pause at the limit and
	// connections wait in the kernel backlog, as in HAProxy.
	MaxConn int
	// Backlog is the listen(2) backlog for binds without their own.
	Backlog int
	// DefaultBackend names the backend used when no rule matches.
	DefaultBackend string
	// UseBackend rules, evaluated in order; the first match wins.
	UseBackend []UseBackend
	// ConnectionRules are `tcp-request connection` rules, run at accept.
	ConnectionRules []Rule
	// SessionRules are `tcp-request session` rules, run after them.
	SessionRules []Rule
	// ContentRules are `tcp-request content` rules, run once the first
	// bytes are in (or InspectDelay expired).
	ContentRules []Rule
	// InspectDelay is `tcp-request inspect-delay`: how long to wait for
	// request bytes that content rules and use_backend conditions need.
	InspectDelay time.Duration
	// TimeoutClient is the client-side inactivity timeout.
	TimeoutClient time.Duration
	// TimeoutClientFin replaces TimeoutClient once the client half-closed.
	TimeoutClientFin time.Duration
	// ClientKeepAlive is TCP keep-alive on client connections (option
	// clitcpka or tcpka); off by default, as in HAProxy.
	ClientKeepAlive TCPKeepAlive
	// NoLinger closes client connections with a reset (option nolinger).
	NoLinger bool
	// IndependentStreams: the client's idle time counts only what it
	// sends, not what it is sent (option independent-streams).
	IndependentStreams bool
	// Log is the access-log settings (nil: no access log).
	Log *AccessLog
	// ContStats is option contstats: byte counters follow long
	// transfers instead of waiting for their end (contstats.go).
	ContStats bool
	// SocketStats is option socket-stats: the statistics show a row per
	// listening socket (socketstats.go).
	SocketStats bool
	// SessionSrvConns is max-session-srv-conns: how many idle private
	// server connections (http-reuse never, or a connection-based
	// authentication) a client connection keeps.
	SessionSrvConns int
}

// Bind is one listening address of a frontend, with its options.
type Bind struct {
	Addr ListenAddr
	// Where names the bind line in errors, as the reference does:
	// "Binding [FILE:LINE] for frontend NAME" ("proxy" for a listen).
	Where       string
	Name        string
	MaxConn     int  // per-listener limit (0 = none)
	Backlog     int  // 0 = the frontend's, then MaxConn, then 1024
	AcceptProxy bool // the peer starts with a PROXY protocol header
	V6Only      bool // IPV6_V6ONLY on a wildcard IPv6 bind
	DeferAccept bool // TCP_DEFER_ACCEPT
	// SmartAccept delays the ACK of a client's first data so that it
	// leaves with the answer (TCP_QUICKACK off on the listener): option
	// tcp-smart-accept, on by default in http mode, as the reference.
	SmartAccept bool
	Interface   string
	Transparent bool // IP_TRANSPARENT
	// Buffers are tune.rcvbuf.client and tune.sndbuf.client, set on the
	// listening socket so that its connections inherit them.
	Buffers SocketBuffers
	// Unix socket ownership and permissions (unix@ binds).
	Mode     os.FileMode
	UID, GID int // -1 = leave unchanged
	// TLS terminates TLS on the bind's connections (ssl crt ...); nil
	// for plain ones (tls.go).
	TLS *tls.Config
	// ID is the bind's `id`: its (first) listener's id in the
	// statistics; 0 numbers it automatically (socketstats.go).
	ID int
	// counters are the listener's, set when it opens (listener.go).
	counters *Counters
}

// Session is what rules and predicates see of a connection.
type Session struct {
	Frontend string
	Src, Dst netip.AddrPort
	// Payload holds the request bytes read so far (up to a buffer) when
	// the frontend has an inspect delay; nil otherwise.
	Payload []byte
	// Complete is true when no more payload can arrive within the inspect
	// delay (it expired, the buffer is full or the client half-closed).
	Complete bool
	// ResPayload and ResComplete are their twins for the response in
	// tcp mode (tcpresponse.go); inResponse marks expressions running
	// on the response.
	ResPayload  []byte
	ResComplete bool
	inResponse  bool
	// Engine gives predicates access to live counters (nbsrv, be_conn).
	Engine *Engine
	vars   map[string]string
	stk    sessionStick    // track-sc counters
	balReq balance.Request // the balancer's input, reused by each pick
	// http is the request being processed in http mode, nil in tcp mode.
	http *httpConn
	// tls is the client connection's TLS state, nil on a plain bind.
	tls *tls.ConnectionState
	// tcpHTTP is the HTTP request parsed out of Payload for HTTP fetches
	// in tcp mode.
	tcpHTTP *tcpHTTP
	// client is the client connection: silent-drop silences it, and it
	// is watched for its close while a request waits (option
	// abortonclose); nil when there is none.
	client net.Conn
	// silenced is true once silent-drop silenced the client connection:
	// its end then says nothing, not even a FIN.
	silenced bool
	// dstSet is true once set-dst or set-dst-port changed Dst: the log's
	// %fi/%fp show it from then on.
	dstSet bool
	// logLevel is the stream's log severity set by set-log-level, plus
	// one (0: none set; logSilent: not logged).
	logLevel uint8
	// prioClass and prioOffset place the stream in a queue
	// (set-priority-class, set-priority-offset: priority.go).
	prioClass  int
	prioOffset time.Duration
	// proxyHeader is the PROXY header the client sent (accept-proxy),
	// nil without one: the fc_rcvd_proxy and fc_pp_* fetches.
	proxyHeader *proxyproto.Header
}

// SetVar sets a session variable (set-var actions).
func (s *Session) SetVar(name, value string) {
	if s.setProcVar(name, value, sample.Str) { // procvars.go
		return
	}
	if s.vars == nil {
		s.vars = map[string]string{}
	}
	s.vars[name] = value
}

// UnsetVar removes a session variable (unset-var actions).
func (s *Session) UnsetVar(name string) {
	if !s.unsetProcVar(name) { // procvars.go
		delete(s.vars, name)
	}
}

// Var returns a session variable.
func (s *Session) Var(name string) (string, bool) {
	if v, ok, isProc := s.procVar(name); isProc { // procvars.go
		return v, ok
	}
	v, ok := s.vars[name]
	return v, ok
}

// Cond is a compiled ACL condition. It returns Unknown when it needs more
// payload than has arrived yet (HAProxy's "may change" samples).
type Cond func(*Session) Verdict

// Verdict is a three-valued condition result.
type Verdict int

// Condition results.
const (
	False Verdict = iota
	True
	Unknown // not decidable yet: wait for more request bytes
)

// UseBackend is a `use_backend NAME if|unless COND` rule.
type UseBackend struct {
	Backend string
	Cond    Cond // nil = always
	// Name, when set, computes the backend's name (`use_backend
	// %[expr]`) and replaces Backend.
	Name func(*Session) string
}

// Action is what a tcp-request rule does when its condition matches.
type Action int

// tcp-request actions.
const (
	Accept      Action = iota // stop evaluating, accept
	Reject                    // close the connection
	SetVar                    // call Do, continue
	Do                        // call Do (track-sc, custom), continue
	SilentDrop                // close the connection without telling the client
	CloseServer               // tcp-response close: end the server connection, forward what came
)

// Rule is one tcp-request connection/content rule.
type Rule struct {
	Action Action
	Cond   Cond
	Do     func(*Session)
}

// Backend is a `backend` (or a `listen`'s backend half) in tcp mode.
type Backend struct {
	Name string
	// Listen tells a `listen` section's backend half from a `backend`
	// (the reference names them differently in some messages).
	Listen bool
	// Mode is `mode`; HTTP holds the settings of ModeHTTP (a backend used
	// by an http frontend runs in http mode).
	Mode    Mode
	HTTP    HTTPBackend
	Balance balance.Config
	// HashKey computes the sample of `balance hash <expr>` (as binary);
	// nil or a nil result falls back to round robin like HAProxy.
	HashKey func(*Session) []byte
	Servers []*Server
	// Stick are the `stick on|match|store-*` rules.
	Stick []StickRule
	// ContentRules are the backend's `tcp-request content` rules, run
	// once it is chosen (httpgaps.go), in tcp mode after waiting up to
	// InspectDelay (`tcp-request inspect-delay`) for the request bytes
	// they need.
	ContentRules []Rule
	InspectDelay time.Duration
	// ResponseRules are `tcp-response content` rules, run on the
	// server's first bytes in tcp mode, waiting for them up to
	// ResponseInspectDelay (`tcp-response inspect-delay`; none: at once,
	// on what is there) (tcpresponse.go).
	ResponseRules        []Rule
	ResponseInspectDelay time.Duration
	// Server holds what runs once a stream reaches a server
	// (serverhooks.go).
	Server ServerHooks
	// Retries is `retries` (HAProxy's default is 3).
	Retries int
	// Redispatch enables `option redispatch`; RedispatchAfter is its
	// interval (HAProxy's default -1: on the last retry).
	Redispatch      bool
	RedispatchAfter int
	// RetryOn is which failures of an http request are retried, up to
	// Retries (retry-on; nil: connection failures only).
	RetryOn *RetryOn
	// AbortOnClose gives up a request whose client closed while it
	// waited in a queue, for its connection or for the answer (option
	// abortonclose).
	AbortOnClose bool
	// CheckCache refuses a response a shared cache could store with its
	// Set-Cookie (option checkcache, http mode).
	CheckCache bool
	// SmartConnect delays the last ACK of the server handshake so that
	// it leaves with the request (option tcp-smart-connect).
	SmartConnect bool
	// Buffers are tune.rcvbuf.server and tune.sndbuf.server.
	Buffers SocketBuffers
	// NoLinger closes server connections with a reset, and answers a
	// client's half-close in a tunnel by resetting the server (option
	// nolinger).
	NoLinger bool
	// IndependentStreams: the server's idle time counts only what it
	// sends, not what it is sent (option independent-streams).
	IndependentStreams bool
	// PreferLast keeps a client's requests on the server of its previous
	// one (option prefer-last-server, preferlast.go).
	PreferLast PreferLast
	// LogHealthChecks logs every check result that moves a server's
	// health (`option log-health-checks`).
	LogHealthChecks bool
	TimeoutConnect  time.Duration
	TimeoutServer   time.Duration
	// TimeoutServerFin replaces TimeoutServer once the server half-closed.
	TimeoutServerFin time.Duration
	// ServerKeepAlive is TCP keep-alive on server connections (option
	// srvtcpka or tcpka); off by default, as in HAProxy.
	ServerKeepAlive TCPKeepAlive
	// TimeoutQueue bounds the wait in a queue (0 = TimeoutConnect).
	TimeoutQueue time.Duration
	// TimeoutTunnel, when set, replaces client and server timeouts once
	// the connection is established.
	TimeoutTunnel time.Duration
	// Check is the health check every `check` server of the backend runs.
	Check check.Spec
	// TimeoutCheck bounds a check's read phase (0 = inter).
	TimeoutCheck time.Duration
	// ServerState is where the saved server states to load at start come
	// from (`load-server-state-from-file`).
	ServerState ServerStateSource
}

// Server is one `server` line.
type Server struct {
	Name string
	// Addr is the server address, host:port with a literal IP.
	Addr netip.AddrPort
	// MapPorts: the server was given no port (or "+N"/"-N"), so each
	// connection goes to the client's destination port plus PortOffset.
	MapPorts   bool
	PortOffset int
	ID         int // 0 = position in the backend
	// Weight is the user weight 0..256 (the adapter applies HAProxy's
	// default of 1).
	Weight   int
	MaxConn  int
	MinConn  int
	MaxQueue int
	Backup   bool
	Disabled bool // starts in maintenance
	// TLS, when set, is `ssl` (or check-ssl) towards the server.
	TLS *ServerTLS
	// Unresolved: the address is not known (init-addr none and the name
	// did not resolve, or a DNS SRV record, which needs the resolvers we
	// do not build): in maintenance "(resolution)", with no address.
	Unresolved bool
	// Health checking.
	Check     bool
	CheckAddr netip.Addr // `addr`: check another address
	CheckPort uint16     // `port`: check another port
	Inter     time.Duration
	FastInter time.Duration // 0 = Inter
	DownInter time.Duration // 0 = Inter
	Rise      int
	Fall      int
	// CheckSendProxy sends a PROXY header on check connections.
	CheckSendProxy bool
	SlowStart      time.Duration
	// ShutdownOnDown is `on-marked-down shutdown-sessions`: when checks
	// mark the server down, its established connections are closed.
	ShutdownOnDown bool
	// ShutdownBackupsOnUp is `on-marked-up shutdown-backup-sessions`:
	// when this (active) server comes up, connections on backup servers
	// are closed so clients reconnect to active ones.
	ShutdownBackupsOnUp bool
	// SendProxy sends a PROXY protocol v1 (or v2) header first.
	SendProxy   bool
	SendProxyV2 bool
	// NonStick is `non-stick`: stick store rules never record it.
	NonStick bool
	// Agent is the agent check (agent-check), nil when off.
	Agent *AgentCheck
	// Cookie is the `cookie` value of cookie persistence ("" = none).
	Cookie string
	// Resolve is the run-time DNS resolution (`resolvers`), nil = none.
	Resolve *ServerResolve
	// Source is the `source` connections and checks bind (the server's
	// or its backend's; nil = any).
	Source *srcbind.Source
	// Socks4 is the SOCKS4 proxy connections go through (`socks4`;
	// zero = direct), and CheckViaSocks4 sends the checks there too.
	Socks4         netip.AddrPort
	CheckViaSocks4 bool
	// Hostname is the server line's host name ("" for a literal
	// address); AddrFromState: init-addr tries `last` (the server state
	// file's address) before resolving it.
	Hostname      string
	AddrFromState bool
}

// TCPKeepAlive is one side's TCP keep-alive: SO_KEEPALIVE, and the probe
// timing of *tcpka-idle, *tcpka-intvl and *tcpka-cnt (zero: the system's).
type TCPKeepAlive struct {
	On             bool
	Idle, Interval time.Duration
	Count          int
}

// apply gives c the keep-alive k asks for. Our listeners and dialer
// leave it off (Go's default would turn it on with its own timings), so
// off needs a call only when Go turned it on (goOn: a listener made from
// a file).
func (k TCPKeepAlive) apply(c net.Conn, goOn bool) {
	tc, ok := asTCP(c)
	if !ok || !k.On && !goOn {
		return
	}
	if !k.On {
		tc.SetKeepAlive(false)
		return
	}
	orSystem := func(d time.Duration) time.Duration {
		if d <= 0 {
			return -1
		}
		return d
	}
	count := k.Count
	if count <= 0 {
		count = -1
	}
	tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: orSystem(k.Idle), Interval: orSystem(k.Interval), Count: count})
}

package sample

import (
	"net/netip"

	"fulcrum/proxy/http1"
)

// Env is what fetches read of a connection. The engine's session
// implements it; tests use a plain struct.
type Env interface {
	// Addrs returns the client's address (src) and the address it
	// connected to (dst).
	Addrs() (src, dst netip.AddrPort)
	// Buffered returns the request bytes read so far in tcp mode (the
	// inspect buffer) and whether no more can arrive (the inspect delay
	// expired, the buffer is full or the client half-closed).
	Buffered() (data []byte, final bool)
	// HTTPRequest is the request being processed; in tcp mode the
	// request head at the start of the inspect buffer, nil when there
	// is none.
	HTTPRequest() *http1.Request
	// HTTPWaiting reports, when HTTPRequest is nil, whether more bytes
	// may still complete a request head (a partial one in a tcp-mode
	// inspect buffer): HTTP fetches then wait instead of failing.
	HTTPWaiting() bool
	// HTTPResponse is the response being processed, nil before one.
	HTTPResponse() *http1.Response
	// Var returns a variable ("txn.name", "sess.name", "req.name",
	// "res.name", "proc.name").
	Var(name string) (string, bool)
	// Proxies returns the names of the frontend and of the backend
	// handling the stream ("" before one is chosen).
	Proxies() (frontend, backend string)
	// Stat reads a live figure of a proxy or a server; ok is false when
	// the proxy (or server) does not exist.
	Stat(what Stat, proxy, server string) (n int, ok bool)
	// RequestIndex is how many requests the client connection carried
	// before this one (0 for the first: http_first_req).
	RequestIndex() int
}

// Stat names a live figure Env.Stat reads.
type Stat uint8

// Live figures.
const (
	StatUsableServers Stat = iota // nbsrv: usable servers of a backend
	StatBackendConns              // be_conn
	StatFrontendConns             // fe_conn
	StatQueue                     // queue: streams queued in a backend and its servers
	StatServerUp                  // srv_is_up: 1 when up
	StatServerConns               // srv_conn
	StatServerQueue               // srv_queue
)

package proxy

import (
	"net/netip"
	"time"

	"fulcrum/proxy/http1"
)

// Mode is a proxy's `mode`: tcp (the zero value) or http.
type Mode uint8

// Proxy modes.
const (
	ModeTCP Mode = iota
	ModeHTTP
)

// ConnMode is how an HTTP proxy treats persistent connections: `option
// http-keep-alive` (the default), `option http-server-close` or `option
// httpclose`. When a frontend and its backend disagree, the stronger one
// wins (httpclose over http-server-close over http-keep-alive), as in
// HAProxy.
type ConnMode uint8

// Connection modes.
const (
	KeepAlive   ConnMode = iota // both sides persist
	ServerClose                 // client side persists, server side closes after each response
	HTTPClose                   // both sides close after each exchange
)

// Reuse is `http-reuse`: when an idle server connection may carry another
// client's request.
type Reuse uint8

// http-reuse modes.
const (
	// ReuseSafe (the default): a client connection's first request
	// always gets a connection of its own; later ones may take idle
	// connections of any client.
	ReuseSafe Reuse = iota
	// ReuseAggressive and ReuseAlways: every request may take an idle
	// connection (this engine treats both alike).
	ReuseAggressive
	ReuseAlways
	// ReuseNever: server connections stay private to the client
	// connection that opened them.
	ReuseNever
)

// ForwardFor is `option forwardfor [except NET] [header NAME] [if-none]`,
// and `option originalto [except NET] [header NAME]`.
type ForwardFor struct {
	// Except: clients (for originalto, destinations) in this network get
	// no header (zero = none).
	Except netip.Prefix
	// Header is the header name ("" = X-Forwarded-For, X-Original-To).
	Header string
	// IfNone adds the header only when the request has none of that name.
	IfNone bool
}

// HTTPFrontend is a frontend's http-mode settings (Frontend.Mode ==
// ModeHTTP).
type HTTPFrontend struct {
	Conn ConnMode
	// TimeoutRequest is `timeout http-request`: the whole request head
	// must arrive within it (else 408). 0 = the client timeout.
	TimeoutRequest time.Duration
	// TimeoutKeepAlive is `timeout http-keep-alive`: the wait for the
	// next request on a persistent connection. 0 = TimeoutRequest, then
	// the client timeout.
	TimeoutKeepAlive time.Duration
	// Parse holds the tune.bufsize/maxrewrite/http.maxhdr limits and
	// `option accept-invalid-http-request`; zero Limits = HAProxy's
	// defaults.
	Parse      http1.Options
	ForwardFor *ForwardFor
	OriginalTo *ForwardFor
	// PretendKeepAlive is `option http-pretend-keepalive`: in the close
	// modes, requests to the server do not say "Connection: close".
	PretendKeepAlive bool
	// IgnoreProbes is `option http-ignore-probes`: a connection closed or
	// timed out before its first byte is neither answered nor logged.
	IgnoreProbes bool
	Comp         *Compression // `compression`, nil without (compression.go)
	// Monitor is `monitor-uri` with its `monitor fail` conditions (nil =
	// none).
	Monitor *Monitor
	// RequestRules are the frontend's `http-request` rules, run before
	// use_backend.
	RequestRules []HTTPRule
	// Actions: legacy redirects, response rules, error pages.
	Actions HTTPActions
}

// HTTPBackend is a backend's http-mode settings.
type HTTPBackend struct {
	Conn  ConnMode
	Reuse Reuse
	// Parse: limits and `option accept-invalid-http-response` for the
	// server's responses; zero Limits = HAProxy's defaults.
	Parse            http1.Options
	ForwardFor       *ForwardFor
	OriginalTo       *ForwardFor
	PretendKeepAlive bool
	Comp             *Compression // `compression`, nil without (compression.go)
	// RequestRules are the backend's `http-request` rules, run after the
	// frontend's once the backend is chosen.
	RequestRules []HTTPRule
	// Actions: legacy redirects, response rules, error pages, cookie.
	Actions HTTPActions
}

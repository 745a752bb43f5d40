// Package proxy is the load-balancing engine driven by a haproxy.Config:
// listeners, routing, server selection, queues, health checks and the data
// path, in tcp mode and in http mode (Frontend.Mode == ModeHTTP: requests
// parsed by proxy/http1, balanced one by one, keep-alive on both sides with
// an idle connection pool per server; see httpserve.go).
//
// The engine takes its own plain runtime configuration (Config, Frontend,
// Backend, Server, Bind): values already validated and defaulted, no text.
// FromConfig (fromconfig.go, fromacl.go) maps a parsed haproxy.Config onto
// it, reporting with file:line what the engine does not act on:
// HAProxy defaults (weight 1, retries 3, rise 2, fall 3, inter 2s, hash-type
// sdbm + avalanche for consistent), default-server and server-template
// expansion, ACLs compiled by proxy/sample into Cond predicates (Session
// is the sample package's Env: addresses, inspect buffer, HTTP request
// and response, counters), dynamic `use_backend %[expr]` names,
// userlists for http_auth, tcp-request rules into Rules, bind words
// through ParseListenAddrs, stick tables and their rules (fromstick.go:
// track-sc, sc-inc/set actions, stick on/match/store, sc_/src_/table_
// fetches and converters; the engine side is stick.go).
//
// Lifecycle: New, Start (binds everything, starts checks), Reload (a new
// generation: sockets kept by address, server health and counters kept by
// backend/server name, connections in flight finish on the generation that
// accepted them), Stop (soft stop lines, drain, then close after a grace).
//
// Sub-packages: balance (HAProxy's server selection algorithms), check
// (health checks), proxyproto (PROXY protocol), tlshello (ClientHello
// fetches for SNI routing), sample (fetches, converters, ACL matching,
// %[expr] templates), userlist (users and crypt passwords), stick (stick
// tables: counters, rates, expiry, eviction, the show/set/clear table
// text), httpcomp (response compression streams; the engine side is
// compression.go).
package proxy

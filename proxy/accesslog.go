package proxy

import (
	"fmt"
	"net/netip"
	"time"
)

// Record is what the engine knows about a finished connection, for
// access logs (`option tcplog`, log-format).
type Record struct {
	Client    netip.AddrPort
	Accept    time.Time
	Frontend  string
	Backend   string        // "" when no backend was chosen
	Server    string        // "<NOSRV>" when no server was reached
	TQueue    time.Duration // %Tw: time in queues; -1 if never queued/assigned
	TConnect  time.Duration // %Tc: time to establish; -1 if never established
	TTotal    time.Duration // %Tt
	BytesOut  int64         // %B: server->client bytes
	BytesIn   int64         // %U: client->server bytes
	Term      [2]byte       // %ts: who ended it, and in which state
	ActConn   int64         // %ac: process connections (this one included)
	FeConn    int64         // %fc: frontend connections (this one included)
	BeConn    int64         // %bc: backend connections (this one excluded)
	SrvConn   int64         // %sc: server connections (this one excluded)
	Retries   int           // %rc
	Redispath bool          // %rc gets a '+' prefix when redispatched
	SrvQueue  int           // %sq
	BeQueue   int           // %bq
	// HTTP holds the request's details in http mode (nil in tcp mode);
	// there is one Record per request, valid during the AccessLog call.
	HTTP *HTTPRecord
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

func ms(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}

// TCPLog formats r as HAProxy's `option tcplog` line:
// %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
func TCPLog(r *Record) string {
	be, srv := r.Backend, r.Server
	if be == "" {
		be = r.Frontend
	}
	if srv == "" {
		srv = "<NOSRV>"
	}
	rc := fmt.Sprint(r.Retries)
	if r.Redispath {
		rc = "+" + rc
	}
	return fmt.Sprintf("%s:%d [%s] %s %s/%s %d/%d/%d %d %c%c %d/%d/%d/%d/%s %d/%d",
		r.Client.Addr().Unmap(), r.Client.Port(), r.Accept.Format("02/Jan/2006:15:04:05.000"),
		r.Frontend, be, srv, ms(r.TQueue), ms(r.TConnect), ms(r.TTotal), r.BytesOut,
		r.Term[0], r.Term[1], r.ActConn, r.FeConn, r.BeConn, r.SrvConn, rc, r.SrvQueue, r.BeQueue)
}

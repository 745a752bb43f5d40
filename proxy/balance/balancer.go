package balance

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Weight scaling, as HAProxy defines it: user weights 0..256, effective
// weights scaled by 16 for the dynamic algorithms.
const (
	weightScale = 16                // BE_WEIGHT_SCALE
	uwghtRange  = 256               // SRV_UWGHT_RANGE
	maxWeight   = 256               // SRV_UWGHT_MAX, the largest user weight
	ewghtMax    = 256 * weightScale // SRV_EWGHT_MAX
	ewghtRange  = 256 * weightScale // SRV_EWGHT_RANGE
)

// Errors returned by Pick.
var (
	// ErrNoServer: no usable server at all (HAProxy's SRV_STATUS_NOSRV).
	ErrNoServer = errors.New("no server available")
	// ErrFull: servers exist but all are saturated, or the backend already
	// has a queue; the caller queues the connection in the backend
	// (HAProxy's SRV_STATUS_FULL).
	ErrFull = errors.New("all servers are full")
)

// Server is the balancer's view of one server. The configuration fields are
// set before New; the rest is live state owned by the Balancer.
type Server struct {
	Name    string
	ID      int  // HAProxy's puid: 1 + position in the backend unless `id` is set
	Weight  int  // user weight 0..256
	Backup  bool // only used when no active server is usable
	MaxConn int  // 0 = unlimited
	MinConn int  // dynamic limit floor with fullconn; 0 = MaxConn
	// MaxQueue bounds the server's queue; 0 = unlimited (leastconn reads it).
	MaxQueue int

	// Live counters, updated by the owner through Take, Drop and SetQueued.
	served int
	queued int

	// State as in HAProxy's server: "cur" is what the algorithm last saw,
	// "next" what it will see; transitions commit next onto cur.
	up, nextUp           bool
	maint, nextMaint     bool
	eweight, nextEweight int
	cumWeight            int

	// Algorithm state.
	lb        node    // fwrr/fwlc/first position
	lbTree    *tree   // tree holding lb (fwrr: nil when down)
	npos      int     // fwrr: next position
	lpos      int     // fwrr: last position
	rweight   int     // fwrr: rounding remainder
	nextFull  *Server // fwrr: chain of saturated servers during one pick
	ring      []node  // chash: all possible ring nodes
	ringNow   int     // chash: how many of them are in the ring
	wscore    int     // map: weight score during map computation
	ramping   bool    // slow start in progress
	rampPct   int     // slow start: percent of maxconn allowed
	ringOwner *tree   // chash: ring this server belongs to
}

// Served is the number of connections currently on the server.
func (s *Server) Served() int { return s.served }

// Queued is the number of connections waiting in the server's queue.
func (s *Server) Queued() int { return s.queued }

// Usable reports whether the server takes part in balancing now.
func (s *Server) Usable() bool { return s.currentlyUsable() }

func (s *Server) willBeUsable() bool    { return s.nextEweight > 0 && !s.nextMaint && s.nextUp }
func (s *Server) currentlyUsable() bool { return s.eweight > 0 && !s.maint && s.up }
func (s *Server) changed() bool {
	return s.up != s.nextUp || s.maint != s.nextMaint || s.eweight != s.nextEweight
}
func (s *Server) commit() { s.up, s.maint, s.eweight = s.nextUp, s.nextMaint, s.nextEweight }

// Algo names a balancing algorithm as `balance` spells it.
type Algo string

// The algorithms of `balance`.
const (
	RoundRobin Algo = "roundrobin"
	StaticRR   Algo = "static-rr"
	LeastConn  Algo = "leastconn"
	First      Algo = "first"
	Source     Algo = "source"
	URI        Algo = "uri"
	URLParam   Algo = "url_param"
	Hdr        Algo = "hdr"
	RDPCookie  Algo = "rdp-cookie"
	Random     Algo = "random"
	Sample     Algo = "hash" // `balance hash <expr>`: the caller computes the key
)

// HashFunc names a `hash-type` function.
type HashFunc string

// The hash functions of `hash-type`.
const (
	SDBM  HashFunc = "sdbm"
	DJB2  HashFunc = "djb2"
	WT6   HashFunc = "wt6"
	CRC32 HashFunc = "crc32"
	None  HashFunc = "none" // later HAProxy versions: the key is a number
)

// Config is a backend's balancing configuration.
type Config struct {
	Algo Algo
	// Consistent selects `hash-type consistent` (a ring) instead of
	// map-based; random always uses the ring.
	Consistent bool
	Func       HashFunc // "" = sdbm
	// Avalanche applies Bob Jenkins' integer hash to the key hash. HAProxy
	// sets it implicitly for `hash-type consistent` without a function.
	Avalanche bool

	// uri options.
	URILen, URIDepth int
	URIWhole         bool
	URIPathOnly      bool
	// url_param / hdr / rdp-cookie name.
	Param string
	// hdr(name) use_domain_only.
	UseDomainOnly bool
	// random(draws); 0 means HAProxy's default of 2.
	Draws int
	// HashBalanceFactor bounds load with consistent hashing (0 = off).
	HashBalanceFactor int
	// AllBackups: with no active server left, balance over every backup
	// instead of only the first one (`option allbackups`).
	AllBackups bool
	// FullConn is `fullconn`, used with server minconn.
	FullConn int
	// Seed for random; 0 picks a fixed non-zero seed.
	Seed uint32
}

// Request carries what hashing algorithms may need from a connection.
type Request struct {
	Src    netip.Addr
	URI    string                           // HTTP request target
	Method string                           // HTTP method, for url_param's POST body lookup
	Body   []byte                           // first body bytes
	Header func(name string) (string, bool) // first value of a request header
	// RDPCookie is the mstshash cookie value for rdp-cookie.
	RDPCookie []byte
	// Key is the sample bytes for `balance hash <expr>`.
	Key []byte
}

// algorithm is the one small interface each file implements: react to a
// server entering or leaving the pool, to a weight change, to its load
// changing, and pick.
type algorithm interface {
	init()
	up(s *Server)
	down(s *Server)
	reweight(s *Server)
	loadChanged(s *Server)
	pick(r *Request, avoid *Server) (*Server, error)
}

// Balancer is the balancing state of one backend.
type Balancer struct {
	cfg     Config
	servers []*Server
	algo    algorithm

	// lbprm counters, as HAProxy keeps them.
	srvAct, srvBck   int
	totWact, totWbck int
	fbck             *Server
	totWeight        int
	totUsed          int
	wmult, wdiv      int

	// Backend load, set by the owner: connections on the backend and
	// connections waiting in the backend queue.
	BackendConns, BackendQueue int
	// Served counts connections on all servers (consistent hashing's
	// bounded load reads it).
	served int
}

// New builds a balancer over servers, in configuration order, all up.
func New(cfg Config, servers []*Server) (*Balancer, error) {
	b := &Balancer{cfg: cfg, servers: servers, wmult: 1, wdiv: 1}
	seen := map[int]bool{}
	for i, s := range servers {
		if s.ID == 0 {
			s.ID = i + 1
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("server %s: duplicate id %d", s.Name, s.ID)
		}
		seen[s.ID] = true
		if s.Weight < 0 || s.Weight > maxWeight {
			return nil, fmt.Errorf("server %s: weight %d out of range 0..%d", s.Name, s.Weight, maxWeight)
		}
		if s.MinConn == 0 || s.MinConn > s.MaxConn {
			s.MinConn = s.MaxConn
		}
		s.up, s.nextUp = true, true
	}
	switch cfg.Algo {
	case RoundRobin:
		b.algo = &fwrr{b: b}
	case StaticRR:
		b.algo = &mapLB{b: b}
	case LeastConn:
		b.algo = &fwlc{groups{b: b}}
	case First:
		b.algo = &firstLB{groups{b: b}}
	case Random:
		b.algo = &random{ring: ring{groups: groups{b: b}}}
	case Source, URI, URLParam, Hdr, RDPCookie, Sample:
		switch cfg.Func {
		case "", SDBM, DJB2, WT6, CRC32, None:
		default:
			return nil, fmt.Errorf("unknown hash function %q", cfg.Func)
		}
		if cfg.Consistent {
			b.algo = &hashed{b: b, lookup: &ring{groups: groups{b: b}}}
		} else {
			b.algo = &hashed{b: b, lookup: &mapLB{b: b}}
		}
	default:
		return nil, fmt.Errorf("unknown balance algorithm %q", cfg.Algo)
	}
	b.algo.init()
	return b, nil
}

// Servers returns the servers in configuration order.
func (b *Balancer) Servers() []*Server { return b.servers }

// setEweights computes every server's effective weight from its user weight
// with the algorithm's multiplier and divider.
func (b *Balancer) setEweights() {
	for _, s := range b.servers {
		s.nextEweight = (s.Weight*b.wdiv + b.wmult - 1) / b.wmult
		s.commit()
	}
}

// recount is HAProxy's recount_servers.
func (b *Balancer) recount() {
	b.srvAct, b.srvBck, b.totWact, b.totWbck, b.fbck = 0, 0, 0, 0, nil
	for _, s := range b.servers {
		if !s.willBeUsable() {
			continue
		}
		if s.Backup {
			if b.srvBck == 0 && !b.cfg.AllBackups {
				b.fbck = s
			}
			b.srvBck++
			s.cumWeight = b.totWbck
			b.totWbck += s.nextEweight
		} else {
			b.srvAct++
			s.cumWeight = b.totWact
			b.totWact += s.nextEweight
		}
	}
}

// updateWeight is HAProxy's update_backend_weight.
func (b *Balancer) updateWeight() {
	switch {
	case b.srvAct > 0:
		b.totWeight, b.totUsed = b.totWact, b.srvAct
	case b.fbck != nil:
		b.totWeight, b.totUsed = b.fbck.nextEweight, 1
	default:
		b.totWeight, b.totUsed = b.totWbck, b.srvBck
	}
}

// countDown removes a usable server from the counters (the common head of
// every set_server_status_down).
func (b *Balancer) countDown(s *Server) {
	if s.Backup {
		b.totWbck -= s.eweight
		b.srvBck--
		if s == b.fbck {
			next := b.fbck
			for {
				next = b.after(next)
				if next == nil || (next.Backup && next.willBeUsable()) {
					break
				}
			}
			b.fbck = next
		}
		return
	}
	b.totWact -= s.eweight
	b.srvAct--
}

// countUp adds a server to the counters (the common head of every
// set_server_status_up).
func (b *Balancer) countUp(s *Server) {
	if !s.Backup {
		b.totWact += s.nextEweight
		b.srvAct++
		return
	}
	b.totWbck += s.nextEweight
	b.srvBck++
	if b.cfg.AllBackups {
		return
	}
	if b.fbck == nil {
		b.fbck = s
		return
	}
	// A backup restored before the current first backup replaces it.
	for n := b.after(s); n != nil; n = b.after(n) {
		if n == b.fbck {
			b.fbck = s
			return
		}
	}
}

// after returns the server following s in configuration order.
func (b *Balancer) after(s *Server) *Server {
	for i, x := range b.servers {
		if x == s {
			if i+1 < len(b.servers) {
				return b.servers[i+1]
			}
			return nil
		}
	}
	return nil
}

// dynMaxConn is HAProxy's srv_dynamic_maxconn.
func (b *Balancer) dynMaxConn(s *Server) int {
	m := s.MaxConn
	if b.cfg.FullConn > 0 && b.BackendConns < b.cfg.FullConn && s.MinConn != s.MaxConn {
		m = max(s.MinConn, b.BackendConns*s.MaxConn/b.cfg.FullConn)
	}
	if s.ramping {
		m = max(1, m*s.rampPct/100)
	}
	return m
}

// Warmup applies slow start to s, `elapsed` after it came up, with a ramp
// of `total` (HAProxy's server_recalc_eweight, in whole seconds as HAProxy
// counts them): the effective weight grows from 1/16 of the full weight,
// and the connection limit from 0%. It returns true once the ramp is over
// (s is then back at full weight). Static algorithms take the full weight
// at once, as in HAProxy.
func (b *Balancer) Warmup(s *Server, elapsed, total time.Duration) bool {
	done := b.warm(s, elapsed, total)
	b.apply(s)
	return done
}

// SetUpStarting marks s up in its slow start: it enters the pool with the
// first ramp step's weight, as HAProxy's STARTING state does.
func (b *Balancer) SetUpStarting(s *Server, total time.Duration) {
	s.nextUp = true
	b.warm(s, 0, total)
	b.apply(s)
}

func (b *Balancer) warm(s *Server, elapsed, total time.Duration) bool {
	sec, ss := int(elapsed/time.Second), int((total+time.Second-1)/time.Second)
	w := b.wdiv
	done := ss == 0 || sec >= ss
	s.ramping = !done
	if !done {
		s.rampPct = 100 * sec / ss
		if b.wdiv == weightScale {
			w = (b.wdiv*sec + ss) / ss
		}
	}
	s.nextEweight = (s.Weight*w + b.wmult - 1) / b.wmult
	return done
}

// hasRoom: no limit, or no queue and below the limit.
func (b *Balancer) hasRoom(s *Server) bool {
	return s.MaxConn == 0 || (s.queued == 0 && s.served < b.dynMaxConn(s))
}

// HasRoom reports whether s can take one more connection now.
func (b *Balancer) HasRoom(s *Server) bool { return b.hasRoom(s) }

// DynMaxConn is the connection limit of s at the current backend load.
func (b *Balancer) DynMaxConn(s *Server) int { return b.dynMaxConn(s) }

// SetUp marks s up (true) or down (false) for health.
func (b *Balancer) SetUp(s *Server, up bool) {
	s.nextUp = up
	b.apply(s)
}

// SetMaint puts s into or out of maintenance (`disabled`, admin state).
func (b *Balancer) SetMaint(s *Server, maint bool) {
	s.nextMaint = maint
	b.apply(s)
}

// SetWeight changes the user weight of s (0..256).
func (b *Balancer) SetWeight(s *Server, w int) {
	s.Weight = min(max(w, 0), maxWeight)
	s.nextEweight = (s.Weight*b.wdiv + b.wmult - 1) / b.wmult
	b.apply(s)
}

// apply commits a pending change of s through the algorithm.
func (b *Balancer) apply(s *Server) {
	if !s.changed() {
		return
	}
	was, will := s.currentlyUsable(), s.willBeUsable()
	switch {
	case was && !will:
		b.algo.down(s)
	case !was && will:
		b.algo.up(s)
	case was && will:
		b.algo.reweight(s)
	}
	s.commit()
}

// Pick chooses the server for a new connection; avoid is the server a
// previous attempt failed on (nil for the first attempt).
func (b *Balancer) Pick(r *Request, avoid *Server) (*Server, error) {
	if b.totWeight == 0 {
		return nil, ErrNoServer
	}
	// rr, static-rr and first never jump ahead of a backend queue.
	switch b.cfg.Algo {
	case RoundRobin, StaticRR, First:
		if b.BackendQueue > 0 && b.BackendQueue != b.BackendConns {
			return nil, ErrFull
		}
	}
	if r == nil {
		r = &Request{}
	}
	s, err := b.algo.pick(r, avoid)
	if err == nil && s == nil {
		err = ErrFull
	}
	return s, err
}

// Take accounts a connection established (or assigned) to s.
func (b *Balancer) Take(s *Server) {
	s.served++
	b.served++
	b.algo.loadChanged(s)
}

// Drop accounts a connection leaving s.
func (b *Balancer) Drop(s *Server) {
	if s.served > 0 {
		s.served--
		b.served--
	}
	b.algo.loadChanged(s)
}

// SetQueued records the length of the queue of s.
func (b *Balancer) SetQueued(s *Server, n int) {
	s.queued = n
	b.algo.loadChanged(s)
}

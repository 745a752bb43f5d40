// Package resolve is the DNS client of a `resolvers` section: A, AAAA
// and SRV queries over UDP (or TCP) to the section's nameservers, with
// its retries, timeouts and EDNS0 payload size.
package resolve

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Nameserver is one `nameserver NAME ADDR` line.
type Nameserver struct {
	Name string
	Addr netip.AddrPort
	TCP  bool // `tcp@ADDR`
}

// Hold are the section's `hold` periods: how long the last valid answer
// is trusted after each kind of failure, and how often a valid one is
// refreshed.
type Hold struct {
	Valid, NX, Timeout, Refused, Other, Obsolete time.Duration
}

// Config is one `resolvers` section, defaulted as the reference does.
type Config struct {
	Name        string
	Nameservers []Nameserver
	// Retries is resolve_retries: queries sent before a timeout counts.
	Retries int
	// TimeoutResolve is how often resolutions are triggered;
	// TimeoutRetry the wait for an answer before the next try.
	TimeoutResolve, TimeoutRetry time.Duration
	Hold                         Hold
	// PayloadSize is accepted_payload_size, announced with EDNS0.
	PayloadSize int
}

// Defaults returns a section with the reference's defaults.
func Defaults(name string) *Config {
	return &Config{Name: name, Retries: 3, TimeoutResolve: time.Second, TimeoutRetry: time.Second,
		PayloadSize: 512, Hold: Hold{Valid: 10 * time.Second, NX: 30 * time.Second, Timeout: 30 * time.Second,
			Refused: 30 * time.Second, Other: 30 * time.Second}}
}

// Status is the outcome of a query, as the hold events name them.
type Status int

// Query outcomes.
const (
	Valid   Status = iota // an answer (possibly without a usable record)
	NX                    // NXDOMAIN
	Timeout               // no nameserver answered in time
	Refused               // REFUSED
	Other                 // any other error
)

func (s Status) String() string {
	return [...]string{"valid", "NX", "timeout", "refused", "other"}[s]
}

// Type is the record type asked for.
type Type = dnsmessage.Type

// Record types.
const (
	A    = dnsmessage.TypeA
	AAAA = dnsmessage.TypeAAAA
	SRV  = dnsmessage.TypeSRV
)

// Service is one SRV record, with the address the additional section
// gives for its target (invalid when none).
type Service struct {
	Target           string
	Port             uint16
	Priority, Weight uint16
	Addr             netip.Addr
}

// Answer is a decoded response.
type Answer struct {
	Status   Status
	Addrs    []netip.Addr // A or AAAA records, in answer order
	Services []Service    // SRV records, in answer order
	// By names the nameserver that answered.
	By string
}

// ErrMismatch is a response that is not the answer to our question.
var ErrMismatch = errors.New("resolve: response does not match the query")

// Counters are one nameserver's statistics, as `show resolvers` names
// them.
type Counters struct {
	Sent, SndError, Valid, Update, AnyErr, NX, Timeout, Refused, Other, Invalid atomic.Uint64
}

// Client sends the queries of one section.
type Client struct {
	cfg      *Config
	counters []Counters // by nameserver, in the section's order
}

// New returns a client for the section.
func New(cfg *Config) *Client {
	return &Client{cfg: cfg, counters: make([]Counters, len(cfg.Nameservers))}
}

// Counters returns the statistics of the i-th nameserver.
func (c *Client) Counters(i int) *Counters { return &c.counters[i] }

// NoteUpdate counts an answer of the nameserver named by that changed a
// server.
func (c *Client) NoteUpdate(by string) {
	for i, ns := range c.cfg.Nameservers {
		if ns.Name == by {
			c.counters[i].Update.Add(1)
			return
		}
	}
}

// count records one response in a nameserver's counters.
func (k *Counters) count(a Answer) {
	switch {
	case a.Status == Valid && len(a.Addrs)+len(a.Services) > 0:
		k.Valid.Add(1)
		return
	case a.Status == NX:
		k.NX.Add(1)
	case a.Status == Refused:
		k.Refused.Add(1)
	case a.Status == Other:
		k.Other.Add(1)
	}
	k.AnyErr.Add(1)
}

// Config is the client's section.
func (c *Client) Config() *Config { return c.cfg }

// Query asks every nameserver for name's records of type t and returns
// the first answer; after resolve_retries rounds of timeout retry
// without one it reports Timeout. Like the reference, a round sends the
// query to every nameserver at once.
func (c *Client) Query(ctx context.Context, name string, t Type) Answer {
	tries := max(c.cfg.Retries, 1)
	wait := c.cfg.TimeoutRetry
	if wait <= 0 {
		wait = time.Second
	}
	ans := make(chan Answer, len(c.cfg.Nameservers)*tries)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range tries {
		id := uint16(rand.Uint32())
		msg, err := Encode(id, name, t, c.cfg.PayloadSize)
		if err != nil {
			return Answer{Status: Other}
		}
		deadline := time.Now().Add(wait)
		for i, ns := range c.cfg.Nameservers {
			k := &c.counters[i]
			go func() {
				a, err := exchange(ctx, ns, msg, deadline, c.cfg.PayloadSize, id, name, t, k)
				switch {
				case err == nil:
					k.count(a)
					a.By = ns.Name
					ans <- a
				case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil:
					k.Timeout.Add(1)
				}
			}()
		}
		timer := time.NewTimer(time.Until(deadline))
		select {
		case a := <-ans:
			timer.Stop()
			return a
		case <-ctx.Done():
			timer.Stop()
			return Answer{Status: Timeout}
		case <-timer.C:
		}
	}
	return Answer{Status: Timeout}
}

// exchange sends one query to one nameserver and reads its answer,
// skipping datagrams that are not it.
func exchange(ctx context.Context, ns Nameserver, msg []byte, deadline time.Time, payload int, id uint16, name string, t Type, k *Counters) (Answer, error) {
	network := "udp"
	if ns.TCP {
		network = "tcp"
	}
	d := net.Dialer{Deadline: deadline}
	k.Sent.Add(1)
	conn, err := d.DialContext(ctx, network, ns.Addr.String())
	if err != nil {
		k.SndError.Add(1)
		return Answer{}, err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if ns.TCP {
		framed := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
		if _, err := conn.Write(append(framed, msg...)); err != nil {
			k.SndError.Add(1)
			return Answer{}, err
		}
		var n [2]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return Answer{}, err
		}
		buf := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(conn, buf); err != nil {
			return Answer{}, err
		}
		a, err := Decode(buf, id, name, t)
		if err != nil {
			k.Invalid.Add(1)
		}
		return a, err
	}
	if _, err := conn.Write(msg); err != nil {
		k.SndError.Add(1)
		return Answer{}, err
	}
	buf := make([]byte, max(payload, 512))
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return Answer{}, err
		}
		a, err := Decode(buf[:n], id, name, t)
		if err == nil {
			return a, nil
		}
		if err != ErrMismatch {
			k.Invalid.Add(1)
		}
	}
}

// Encode builds a recursive query with an EDNS0 OPT record announcing
// payload bytes (none when payload is 512 or less).
func Encode(id uint16, name string, t Type, payload int) ([]byte, error) {
	n, err := dnsmessage.NewName(fqdn(name))
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 64), dnsmessage.Header{ID: id, RecursionDesired: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: n, Type: t, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	if payload > 512 {
		if err := b.StartAdditionals(); err != nil {
			return nil, err
		}
		var opt dnsmessage.ResourceHeader
		if err := opt.SetEDNS0(payload, dnsmessage.RCodeSuccess, false); err != nil {
			return nil, err
		}
		if err := b.OPTResource(opt, dnsmessage.OPTResource{}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

func fqdn(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

// Decode reads a response to the query (id, name, t). A response to
// another question is ErrMismatch; a malformed one an error.
func Decode(msg []byte, id uint16, name string, t Type) (Answer, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return Answer{}, err
	}
	if !h.Response || h.ID != id {
		return Answer{}, ErrMismatch
	}
	q, err := p.Question()
	if err != nil {
		return Answer{}, err
	}
	if q.Type != t || !strings.EqualFold(q.Name.String(), fqdn(name)) {
		return Answer{}, ErrMismatch
	}
	if err := p.SkipAllQuestions(); err != nil {
		return Answer{}, err
	}
	switch h.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return Answer{Status: NX}, nil
	case dnsmessage.RCodeRefused:
		return Answer{Status: Refused}, nil
	default:
		return Answer{Status: Other}, nil
	}
	a := Answer{Status: Valid}
	for {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return Answer{}, err
		}
		if rh.Class != dnsmessage.ClassINET || rh.Type != t {
			// CNAME chains: the records of the final name follow.
			if err := p.SkipAnswer(); err != nil {
				return Answer{}, err
			}
			continue
		}
		switch t {
		case A:
			r, err := p.AResource()
			if err != nil {
				return Answer{}, err
			}
			a.Addrs = append(a.Addrs, netip.AddrFrom4(r.A))
		case AAAA:
			r, err := p.AAAAResource()
			if err != nil {
				return Answer{}, err
			}
			a.Addrs = append(a.Addrs, netip.AddrFrom16(r.AAAA))
		case SRV:
			r, err := p.SRVResource()
			if err != nil {
				return Answer{}, err
			}
			a.Services = append(a.Services, Service{Target: strings.TrimSuffix(r.Target.String(), "."),
				Port: r.Port, Priority: r.Priority, Weight: r.Weight})
		default:
			if err := p.SkipAnswer(); err != nil {
				return Answer{}, err
			}
		}
	}
	if t != SRV || len(a.Services) == 0 {
		return a, nil
	}
	// The additional section may carry the SRV targets' addresses.
	if err := p.SkipAllAuthorities(); err != nil {
		return a, nil
	}
	for {
		rh, err := p.AdditionalHeader()
		if err != nil {
			break
		}
		var ip netip.Addr
		switch rh.Type {
		case A:
			r, err := p.AResource()
			if err != nil {
				return a, nil
			}
			ip = netip.AddrFrom4(r.A)
		case AAAA:
			r, err := p.AAAAResource()
			if err != nil {
				return a, nil
			}
			ip = netip.AddrFrom16(r.AAAA)
		default:
			if p.SkipAdditional() != nil {
				return a, nil
			}
			continue
		}
		owner := strings.TrimSuffix(rh.Name.String(), ".")
		for i := range a.Services {
			if strings.EqualFold(a.Services[i].Target, owner) && !a.Services[i].Addr.IsValid() {
				a.Services[i].Addr = ip
			}
		}
	}
	return a, nil
}

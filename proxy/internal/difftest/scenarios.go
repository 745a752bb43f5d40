package difftest

import (
	"fmt"
	"strings"
)

// Standard is the scenario table both the balancer and the engine are
// compared on: every algorithm with unequal weights, a server going down
// and coming back, backups taking over.
func Standard() []Scenario {
	four := []Server{{Name: "s1", Weight: 3}, {Name: "s2", Weight: 1}, {Name: "s3", Weight: 2}, {Name: "s4", Weight: 5}}
	srcs := Sources(24)
	downUp := func(conns func() []Step) []Step {
		var st []Step
		st = append(st, conns()...)
		st = append(st, Step{Down: "s3"})
		st = append(st, conns()...)
		st = append(st, Step{Down: "s4"})
		st = append(st, conns()...)
		st = append(st, Step{Up: "s3"})
		st = append(st, conns()...)
		st = append(st, Step{Up: "s4"})
		st = append(st, conns()...)
		return st
	}
	plain := func() []Step { return Conns(17, false) }
	hashed := func() []Step { return Conns(len(srcs), false, srcs...) }
	held := func() []Step { return Conns(9, true) }
	withBackups := []Server{{Name: "s1", Weight: 2}, {Name: "s2", Weight: 1}, {Name: "b1", Weight: 3, Backup: true}, {Name: "b2", Weight: 1, Backup: true}}
	backupSteps := func(conns func() []Step) []Step {
		var st []Step
		st = append(st, conns()...)
		st = append(st, Step{Down: "s1"}, Step{Down: "s2"})
		st = append(st, conns()...)
		st = append(st, Step{Down: "b1"})
		st = append(st, conns()...)
		st = append(st, Step{Up: "b1"}, Step{Up: "s2"})
		st = append(st, conns()...)
		return st
	}
	first := []Server{{Name: "s1", MaxConn: 2}, {Name: "s2", MaxConn: 3}, {Name: "s3", MaxConn: 2}, {Name: "s4", MaxConn: 4}}
	reweight := func(conns func() []Step) []Step {
		var st []Step
		st = append(st, conns()...)
		st = append(st, Step{Weight: "s2=7"})
		st = append(st, conns()...)
		st = append(st, Step{Weight: "s4=0"})
		st = append(st, conns()...)
		st = append(st, Step{Weight: "s4=2"}, Step{Weight: "s1=1"})
		st = append(st, conns()...)
		return st
	}
	// Connections opened and closed in an interleaved order: leastconn
	// and first reposition servers on every close.
	churn := func() []Step {
		var st []Step
		st = append(st, Conns(6, true)...)
		for i, r := range []int{2, 5, 1} {
			st = append(st, Step{Release: r})
			st = append(st, Conns(2+i, true)...)
		}
		st = append(st, Step{Release: 7}, Step{Release: 3}, Step{Release: 9})
		return append(st, Conns(4, true)...)
	}
	return []Scenario{
		{Name: "leastconn-churn", Balance: "leastconn", Servers: four, Steps: churn()},
		{Name: "first-churn", Balance: "first", Servers: []Server{{Name: "s1", MaxConn: 3}, {Name: "s2", MaxConn: 4}, {Name: "s3", MaxConn: 3}, {Name: "s4", MaxConn: 5}}, Steps: churn()},
		{Name: "roundrobin-reweight", Balance: "roundrobin", Servers: four, Steps: reweight(plain)},
		{Name: "leastconn-reweight", Balance: "leastconn", Servers: four, Steps: reweight(held)},
		{Name: "source-consistent-reweight", Balance: "source", HashType: "consistent", Servers: four, Steps: reweight(hashed)},
		{Name: "roundrobin", Balance: "roundrobin", Servers: four, Steps: downUp(plain)},
		{Name: "roundrobin-held", Balance: "roundrobin", Servers: four, Steps: downUp(held)},
		{Name: "static-rr", Balance: "static-rr", Servers: four, Steps: downUp(plain)},
		{Name: "leastconn", Balance: "leastconn", Servers: four, Steps: downUp(held)},
		{Name: "first", Balance: "first", Servers: first, Steps: append(Conns(6, true), append([]Step{{Down: "s2"}}, append(Conns(4, true), append([]Step{{Up: "s2"}}, Conns(1, true)...)...)...)...)},
		{Name: "source-map", Balance: "source", Servers: four, Steps: downUp(hashed)},
		{Name: "source-map-avalanche", Balance: "source", HashType: "map-based sdbm avalanche", Servers: four, Steps: downUp(hashed)},
		{Name: "source-consistent", Balance: "source", HashType: "consistent", Servers: four, Steps: downUp(hashed)},
		{Name: "roundrobin-backup", Balance: "roundrobin", Servers: withBackups, Steps: backupSteps(plain)},
		{Name: "roundrobin-allbackups", Balance: "roundrobin", AllBackups: true, Servers: withBackups, Steps: backupSteps(plain)},
		{Name: "static-rr-allbackups", Balance: "static-rr", AllBackups: true, Servers: withBackups, Steps: backupSteps(plain)},
		{Name: "source-consistent-backup", Balance: "source", HashType: "consistent", Servers: withBackups, Steps: backupSteps(hashed)},
	}
}

// HTTPRequests makes n request steps with varied URIs and X-Key headers.
func HTTPRequests(n int) []Step {
	steps := make([]Step, n)
	for i := range steps {
		steps[i].URI = fmt.Sprintf("/dir%d/page%d.html?id=%d&user=u%d&x=%d", i%5, i, i*7, i*13, i)
		steps[i].Header = fmt.Sprintf("X-Key: key-%d.sub%d.example%d.com", i*31, i%3, i%4)
	}
	return steps
}

// HTTPHashing covers the hash functions and key extractors, which need
// HTTP requests: uri (with options), url_param and hdr, each hash function,
// map-based and consistent, with and without avalanche, and a server down.
func HTTPHashing() []Scenario {
	four := []Server{{Name: "s1", Weight: 3}, {Name: "s2", Weight: 1}, {Name: "s3", Weight: 2}, {Name: "s4", Weight: 5}}
	steps := func() []Step {
		var st []Step
		st = append(st, HTTPRequests(20)...)
		st = append(st, Step{Down: "s4"})
		st = append(st, HTTPRequests(20)...)
		st = append(st, Step{Up: "s4"})
		return append(st, HTTPRequests(6)...)
	}
	var out []Scenario
	for _, fn := range []string{"sdbm", "djb2", "wt6", "crc32"} {
		for _, ht := range []string{"map-based " + fn, "map-based " + fn + " avalanche", "consistent " + fn, "consistent " + fn + " avalanche"} {
			out = append(out, Scenario{Name: "uri-" + strings.ReplaceAll(ht, " ", "-"), HTTP: true, Balance: "uri", HashType: ht, Servers: four, Steps: steps()})
		}
	}
	out = append(out,
		Scenario{Name: "uri-default-map", HTTP: true, Balance: "uri", Servers: four, Steps: steps()},
		Scenario{Name: "uri-consistent-default", HTTP: true, Balance: "uri", HashType: "consistent", Servers: four, Steps: steps()},
		Scenario{Name: "uri-whole", HTTP: true, Balance: "uri whole", Servers: four, Steps: steps()},
		Scenario{Name: "uri-len-depth", HTTP: true, Balance: "uri len 9 depth 1", Servers: four, Steps: steps()},
		Scenario{Name: "url_param", HTTP: true, Balance: "url_param user", HashType: "map-based djb2", Servers: four, Steps: steps()},
		Scenario{Name: "hdr", HTTP: true, Balance: "hdr(X-Key)", HashType: "consistent wt6", Servers: four, Steps: steps()},
		// No "hdr(X-Key) use_domain_only": HAProxy 2.6 reads one byte past
		// the header value there (get_server_hh tests *p at value+len),
		// so its pick depends on stale buffer bytes and is not
		// reproducible: in about 1 run of 12 it hashed "com" instead of
		// "example0" for a few requests (a '.' lay past the value).
		// balance's unit tests cover the extraction.
	)
	return out
}

// RDPRequest is an RDP connection request carrying a mstshash cookie: an
// 11-byte TPKT + X.224 header, then the cookie line.
func RDPRequest(user string) string {
	return "\x03\x00\x00\x2c\x27\xe0\x00\x00\x00\x00\x00" + "Cookie: mstshash=" + user + "\r\n"
}

// TCPKeys covers the tcp-mode keys other than the source address:
// `balance hash src` (the sample hashed with the hash function) and
// `balance rdp-cookie` (the key from the inspected payload), map-based and
// consistent, with a server down.
func TCPKeys() []Scenario {
	four := []Server{{Name: "s1", Weight: 3}, {Name: "s2", Weight: 1}, {Name: "s3", Weight: 2}, {Name: "s4", Weight: 5}}
	conns := func() []Step {
		st := make([]Step, 20)
		for i := range st {
			st[i].Send = RDPRequest(fmt.Sprintf("user%d", i*7))
		}
		return st
	}
	steps := append(append(conns(), Step{Down: "s4"}), conns()...)
	lines := "\ttcp-request inspect-delay 5s\n\ttcp-request content accept if RDP_COOKIE\n"
	srcs := Sources(20)
	bySrc := append(append(Conns(20, false, srcs...), Step{Down: "s2"}), Conns(20, false, srcs...)...)
	return []Scenario{
		{Name: "hash-src-map", Balance: "hash src", Servers: four, Steps: bySrc},
		{Name: "hash-src-consistent-djb2", Balance: "hash src", HashType: "consistent djb2", Servers: four, Steps: bySrc},
		{Name: "rdp-cookie-map", Balance: "rdp-cookie", Servers: four, Steps: steps, FrontendLines: lines},
		{Name: "rdp-cookie-consistent", Balance: "rdp-cookie", HashType: "consistent", Servers: four, Steps: steps, FrontendLines: lines},
	}
}

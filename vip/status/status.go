// Package status serves a running keepalived's live VRRP state over
// HTTP: /metrics in the Prometheus text format under keepalived-exporter's
// metric names and labels, and /status.json.
package status

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fulcrum/vip"
)

// Source gives the state to serve. Both functions must only read: they
// run on the HTTP server's goroutines, never on an instance's.
type Source struct {
	Instances func() []vip.Snapshot
	Scripts   func() []vip.ScriptStatus // nil for none
}

// Handler serves /metrics and /status.json from src.
func Handler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		WriteMetrics(w, src.Instances(), scripts(src))
	})
	mux.HandleFunc("GET /status.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		WriteJSON(w, src.Instances(), scripts(src))
	})
	return mux
}

func scripts(src Source) []vip.ScriptStatus {
	if src.Scripts == nil {
		return nil
	}
	return src.Scripts()
}

// Server is a running status endpoint.
type Server struct {
	http *http.Server
	addr net.Addr
}

// Listen binds addr and serves src on it until Close.
func Listen(addr string, src Source) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// Timeouts so that a slow or stuck client holds nothing for long.
	s := &Server{addr: ln.Addr(), http: &http.Server{Handler: Handler(src), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}}
	go s.http.Serve(ln)
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.addr }

// Close stops serving, letting requests in progress finish for a moment.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.http.Shutdown(ctx) != nil {
		s.http.Close()
	}
}

// metric is one counter family of keepalived-exporter.
type metric struct {
	name, help string
	value      func(c vip.Counters) uint64
}

// counters are keepalived-exporter's per-instance counters, labelled
// iname, intf, vrid.
var counters = []metric{
	{"keepalived_advertisements_received_total", "Advertisements received", func(c vip.Counters) uint64 { return c.AdvertRcvd }},
	{"keepalived_advertisements_sent_total", "Advertisements sent", func(c vip.Counters) uint64 { return c.AdvertSent }},
	{"keepalived_become_master_total", "Became master", func(c vip.Counters) uint64 { return c.BecomeMaster }},
	{"keepalived_release_master_total", "Released master", func(c vip.Counters) uint64 { return c.ReleaseMaster }},
	{"keepalived_packet_length_errors_total", "Packet length errors", func(c vip.Counters) uint64 { return c.PacketLenErr }},
	{"keepalived_advertisements_interval_errors_total", "Advertisement interval errors", func(c vip.Counters) uint64 { return c.AdvertIntervalErr }},
	{"keepalived_ip_ttl_errors_total", "TTL errors", func(c vip.Counters) uint64 { return c.IPTTLErr }},
	{"keepalived_invalid_type_received_total", "Invalid type errors", func(c vip.Counters) uint64 { return c.InvalidTypeRcvd }},
	{"keepalived_address_list_errors_total", "Address list errors", func(c vip.Counters) uint64 { return c.AddrListErr }},
	{"keepalived_authentication_invalid_total", "Authentication invalid", func(c vip.Counters) uint64 { return c.InvalidAuthtype }},
	{"keepalived_authentication_mismatch_total", "Authentication mismatch", func(c vip.Counters) uint64 { return c.AuthtypeMismatch }},
	{"keepalived_authentication_failure_total", "Authentication failure", func(c vip.Counters) uint64 { return c.AuthFailure }},
	{"keepalived_priority_zero_received_total", "Priority zero received", func(c vip.Counters) uint64 { return c.PriZeroRcvd }},
	{"keepalived_priority_zero_sent_total", "Priority zero sent", func(c vip.Counters) uint64 { return c.PriZeroSent }},
}

// WriteMetrics writes the Prometheus text exposition of insts and
// scripts as keepalived-exporter would scrape it from Keepalived's JSON
// dump.
func WriteMetrics(w io.Writer, insts []vip.Snapshot, scripts []vip.ScriptStatus) error {
	var b strings.Builder
	family := func(name, help, kind string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
	}
	family("keepalived_up", "Status", "gauge")
	b.WriteString("keepalived_up 1\n")
	common := func(s vip.Snapshot) string {
		return labels("iname", s.Name, "intf", s.Interface, "vrid", strconv.Itoa(s.VRID))
	}
	for _, m := range counters {
		family(m.name, m.help, "counter")
		for _, s := range insts {
			fmt.Fprintf(&b, "%s%s %d\n", m.name, common(s), m.value(s.Counters))
		}
	}
	family("keepalived_gratuitous_arp_delay_total", "Gratuitous ARP delay", "counter")
	for _, s := range insts {
		fmt.Fprintf(&b, "keepalived_gratuitous_arp_delay_total%s %s\n", common(s), strconv.FormatFloat(s.GARPDelay.Seconds(), 'g', -1, 64))
	}
	// One state sample per virtual address, labelled with the address and
	// its device; an instance without addresses gets one with an empty
	// address (as the exporter does for older Keepalived releases).
	// Excluded addresses have a family of their own.
	for _, excluded := range []bool{false, true} {
		name, help := "keepalived_vrrp_state", "State of vrrp"
		if excluded {
			name, help = "keepalived_vrrp_excluded_state", "State of vrrp with excluded VIP"
		}
		family(name, help, "gauge")
		for _, s := range insts {
			vid, n := strconv.Itoa(s.VRID), 0
			for _, v := range s.VIPs {
				if v.Excluded == excluded {
					n++
					fmt.Fprintf(&b, "%s%s %d\n", name, labels("iname", s.Name, "intf", v.Dev, "vrid", vid, "ip_address", v.Prefix.String()), s.StateCode)
				}
			}
			if n == 0 && !excluded {
				fmt.Fprintf(&b, "%s%s %d\n", name, labels("iname", s.Name, "intf", s.Interface, "vrid", vid, "ip_address", ""), s.StateCode)
			}
		}
	}
	family("keepalived_script_status", "Tracker Script Status", "gauge")
	for _, sc := range scripts {
		v := 0
		if sc.Good {
			v = 1
		}
		fmt.Fprintf(&b, "keepalived_script_status%s %d\n", labels("name", sc.Name), v)
	}
	// keepalived-exporter's numbers: 0 idle, 1 running (2 and 3, the
	// termination states, do not occur here).
	family("keepalived_script_state", "Tracker Script State", "gauge")
	for _, sc := range scripts {
		v := 0
		if sc.Running {
			v = 1
		}
		fmt.Fprintf(&b, "keepalived_script_state%s %d\n", labels("name", sc.Name), v)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// labels renders {k="v",...} with the text format's escapes.
func labels(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i] + `="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(kv[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// statusInstance is one instance in /status.json.
type statusInstance struct {
	Name              string       `json:"name"`
	Interface         string       `json:"interface"`
	VRID              int          `json:"vrid"`
	State             string       `json:"state"`
	StateCode         int          `json:"state_code"`
	Priority          int          `json:"priority"`
	EffectivePriority int          `json:"effective_priority"`
	MasterPriority    int          `json:"master_priority"`
	VIPs              []string     `json:"vips"`
	ExcludedVIPs      []string     `json:"excluded_vips"`
	Counters          vip.Counters `json:"counters"`
}

type statusScript struct {
	Name   string `json:"name"`
	Status string `json:"status"` // GOOD or BAD, as Keepalived's data dump
	State  string `json:"state"`  // idle or running
}

type statusDoc struct {
	Instances []statusInstance `json:"instances"`
	Scripts   []statusScript   `json:"scripts"`
}

// WriteJSON writes the /status.json document.
func WriteJSON(w io.Writer, insts []vip.Snapshot, scripts []vip.ScriptStatus) error {
	doc := statusDoc{Instances: []statusInstance{}, Scripts: []statusScript{}}
	for _, s := range insts {
		si := statusInstance{Name: s.Name, Interface: s.Interface, VRID: s.VRID, State: stateName(s.StateCode),
			StateCode: s.StateCode, Priority: s.Priority, EffectivePriority: s.EffectivePriority,
			MasterPriority: s.MasterPriority, VIPs: []string{}, ExcludedVIPs: []string{}, Counters: s.Counters}
		for _, v := range s.VIPs {
			if v.Excluded {
				si.ExcludedVIPs = append(si.ExcludedVIPs, v.Prefix.String()+" dev "+v.Dev)
			} else {
				si.VIPs = append(si.VIPs, v.Prefix.String()+" dev "+v.Dev)
			}
		}
		doc.Instances = append(doc.Instances, si)
	}
	for _, sc := range scripts {
		st := "BAD"
		if sc.Good {
			st = "GOOD"
		}
		state := "idle"
		if sc.Running {
			state = "running"
		}
		doc.Scripts = append(doc.Scripts, statusScript{Name: sc.Name, Status: st, State: state})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// stateName is Keepalived's word for a state number of its dumps.
func stateName(code int) string {
	switch code {
	case 0:
		return "INIT"
	case 1:
		return "BACKUP"
	case 2:
		return "MASTER"
	case 3:
		return "FAULT"
	case 98:
		return "STOP"
	}
	return strconv.Itoa(code)
}

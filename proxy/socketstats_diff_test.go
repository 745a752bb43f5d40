package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/stats"
)

// socketStatsConfig has a frontend with option socket-stats and four
// sockets: a named bind with a maxconn, a bind line with two addresses,
// and a bind with an explicit id; content rules deny "deny" and
// connection rules refuse 127.0.0.2. The second frontend, without the
// option (turned off after the defaults turned it on), shows no
// listener rows.
const socketStatsConfig = `defaults
	mode %[1]s
	timeout connect 1s
	timeout client 5s
	timeout server 5s
	option socket-stats
frontend fe
	bind 127.0.0.1:%[2]d name first maxconn 1
	bind 127.0.0.1:%[3]d,127.0.0.1:%[4]d
	bind 127.0.0.1:%[5]d id 9
	tcp-request connection reject if { src 127.0.0.2 }
	%[7]s
	default_backend be
frontend quiet
	bind 127.0.0.1:%[6]d
	no option socket-stats
	default_backend be
backend be
	server s1 %[8]s
`

// socketStatsRules deny a request per mode.
var socketStatsRules = map[string]string{
	"tcp":  "tcp-request inspect-delay 1s\n\ttcp-request content reject if { req.payload(0,4) -m str deny }",
	"http": "http-request deny if { path /deny }",
}

// socketSide is one implementation running socketStatsConfig.
type socketSide struct {
	name  string
	stat  func() string
	addrs []string // the four sockets of fe in configuration order
}

// socketRowFields are the fields the comparison reads in every row.
var socketRowFields = []string{"type", "sid", "status", "scur", "slim", "stot", "bin", "bout", "dreq", "dresp", "ereq",
	"dcon", "dses", "addr", "mode", "iid", "pid", "wrew", "eint", "rate", "req_tot", "conn_tot"}

// play sends the same connections to the sockets of one side: good
// exchanges on the first and the third, a denied one and a refused
// connection on the second, a bad request on the fourth; then it holds
// one connection on the first (maxconn 1: FULL) and returns it.
func (s *socketSide) play(t *testing.T, mode string) net.Conn {
	t.Helper()
	good, deny := "hello", "deny"
	if mode == "http" {
		good, deny = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET /deny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	}
	exchange(t, s.addrs[0], "127.0.0.1", good)
	exchange(t, s.addrs[0], "127.0.0.1", good)
	exchange(t, s.addrs[2], "127.0.0.1", good)
	exchange(t, s.addrs[1], "127.0.0.1", deny)
	if mode == "http" {
		exchange(t, s.addrs[3], "127.0.0.1", "GARBAGE\x01\r\n\r\n")
	}
	exchange(t, s.addrs[1], "127.0.0.2", good)
	held := dialT(t, s.addrs[0])
	held.Write([]byte("x"))
	return held
}

// exchange connects from src, sends data and reads until the proxy
// closes (or resets) the connection.
func exchange(t *testing.T, addr, src, data string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return // refused at once
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(data))
	if tc, ok := c.(*net.TCPConn); ok && !strings.HasPrefix(data, "GET") {
		tc.CloseWrite() // a tcp-mode exchange ends with the client
	}
	io.Copy(io.Discard, c)
}

// TestSocketStatsMatchesReference compares the listener rows of `show
// stat` (and their typed form) with the reference's after the same
// connections, in tcp and http mode.
func TestSocketStatsMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	srv := doublingServer(t)
	for _, mode := range []string{"tcp", "http"} {
		t.Run(mode, func(t *testing.T) {
			backend := srv
			if mode == "http" {
				backend = startHTTPBackend(t, "s").addr().String()
			}
			cfg := func(ports [5]int) string {
				return fmt.Sprintf(socketStatsConfig, mode, ports[0], ports[1], ports[2], ports[3], ports[4],
					socketStatsRules[mode], backend)
			}
			var refPorts, ourPorts [5]int
			for i := range refPorts {
				refPorts[i], ourPorts[i] = difftest.FreePort(t), difftest.FreePort(t)
			}
			ref := difftest.StartReferenceConfig(t, bin, cfg(refPorts))
			e := startAdapted(t, cfg(ourPorts))
			sides := []*socketSide{
				{name: "reference", stat: refShowStat(t, ref)},
				{name: "ours", stat: func() string { return ourCSV(t, e) }},
			}
			for i := range 4 {
				sides[0].addrs = append(sides[0].addrs, fmt.Sprintf("127.0.0.1:%d", refPorts[i]))
				sides[1].addrs = append(sides[1].addrs, fmt.Sprintf("127.0.0.1:%d", ourPorts[i]))
			}
			got := map[string][]string{}
			for _, s := range sides {
				held := s.play(t, mode)
				waitField(t, s.name, s.stat, "fe/first", "status", "FULL")
				waitField(t, s.name, s.stat, "fe/FRONTEND", "scur", "1")
				out := s.stat()
				_, rows := parseCSV(t, out)
				held.Close()
				got[s.name] = append(got[s.name], rowNames(out))
				for _, key := range []string{"fe/first", "fe/sock-2", "fe/sock-3", "fe/sock-9"} {
					var vals []string
					for _, f := range socketRowFields {
						v := rows[key][f]
						if f == "addr" && v != "" {
							v = "set" // the ports differ
						}
						vals = append(vals, f+"="+v)
					}
					got[s.name] = append(got[s.name], key+" "+strings.Join(vals, " "))
				}
				// The frontend counts what its listeners count.
				var fe []string
				for _, f := range []string{"stot", "bin", "bout", "dreq", "ereq", "dcon"} {
					fe = append(fe, f+"="+rows["fe/FRONTEND"][f])
				}
				got[s.name] = append(got[s.name], "fe/FRONTEND "+strings.Join(fe, " "))
			}
			r, o := strings.Join(got["reference"], "\n"), strings.Join(got["ours"], "\n")
			if r != o {
				t.Errorf("rows differ:\nreference\n%s\nours\n%s", r, o)
			}
			// `show stat <proxy> <types> <id>`: type 8 is the
			// listeners, and the id picks a listener as it picks a
			// server.
			for _, q := range []struct{ types, id int }{{8, -1}, {8, 2}, {-1, 1}, {1, -1}, {4, -1}} {
				out, err := ref.Command(fmt.Sprintf("show stat 2 %d %d", q.types, q.id))
				if err != nil {
					t.Fatal(err)
				}
				opts := stats.Options{ProxyID: 2, ServerID: q.id}
				if q.types != -1 {
					opts.Types = q.types
				}
				var ours bytes.Buffer
				stats.WriteCSV(&ours, e.Snapshot(), opts)
				if r, o := rowNames(out), rowNames(ours.String()); r != o {
					t.Errorf("show stat 2 %d %d: reference rows %s, ours %s", q.types, q.id, r, o)
				}
			}
			// `clear counters all` clears the listeners' too.
			if _, err := ref.Command("clear counters all"); err != nil {
				t.Fatal(err)
			}
			e.ClearCounters(true)
			cleared := map[string]string{}
			for _, s := range sides {
				_, rows := parseCSV(t, s.stat())
				for _, key := range []string{"fe/first", "fe/sock-2", "fe/sock-9"} {
					for _, f := range []string{"smax", "stot", "bin", "bout", "dreq", "ereq", "dcon"} {
						cleared[s.name] += key + " " + f + "=" + rows[key][f] + " "
					}
				}
			}
			if cleared["reference"] != cleared["ours"] {
				t.Errorf("after clear counters all:\nreference %s\nours      %s", cleared["reference"], cleared["ours"])
			}
			// `show stat typed`: the listener fields with their tags
			// and types.
			refTyped, err := ref.Command("show stat typed")
			if err != nil {
				t.Fatal(err)
			}
			var ourTyped bytes.Buffer
			stats.WriteTyped(&ourTyped, e.Snapshot(), stats.Options{})
			if r, o := listenerTyped(refTyped), listenerTyped(ourTyped.String()); r != o {
				t.Errorf("typed listener fields differ:\nreference\n%s\nours\n%s", r, o)
			}
		})
	}
}

// listenerTyped keeps the listener lines of `show stat typed` without
// their values.
func listenerTyped(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "L.") {
			keep = append(keep, l[:strings.LastIndexByte(l, ':')])
		}
	}
	return strings.Join(keep, "\n")
}

// socketPagesConfig has a frontend with option socket-stats and three
// sockets (named, with a maxconn, unix), and a second frontend serving
// the statistics page and the Prometheus exporter.
const socketPagesConfig = `defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%[1]d name first
	bind 127.0.0.1:%[2]d maxconn 7
	bind unix@%[3]s
	option socket-stats
	default_backend be
frontend pages
	bind 127.0.0.1:%[4]d
	http-request use-service prometheus-exporter if { path /metrics }
	stats enable
	stats uri /stats
	stats show-legends
	default_backend be
backend be
	server s1 %[5]s
`

// TestSocketStatsPagesMatchReference compares the listener rows of the
// HTML statistics page and the exporter's haproxy_listener metrics with
// the reference's after the same requests.
func TestSocketStatsPagesMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	backend := startHTTPBackend(t, "s").addr().String()
	dir, err := os.MkdirTemp("", "fulcrum-sockstats-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	type side struct{ fe, pages string }
	refFE, refPages := difftest.FreePort(t), difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, fmt.Sprintf(socketPagesConfig, refFE, difftest.FreePort(t),
		filepath.Join(dir, "ref.sock"), refPages, backend))
	ourFE := difftest.FreePort(t)
	e := startAdapted(t, fmt.Sprintf(socketPagesConfig, ourFE, difftest.FreePort(t),
		filepath.Join(dir, "ours.sock"), difftest.FreePort(t), backend))
	sides := map[string]side{
		"reference": {fmt.Sprintf("127.0.0.1:%d", refFE), fmt.Sprintf("127.0.0.1:%d", refPages)},
		"ours":      {fmt.Sprintf("127.0.0.1:%d", ourFE), feAddr(e, "pages")},
	}
	// The listener's address in the page's tips holds a port that
	// differs between the sides.
	port := regexp.MustCompile(`:\d+, id:`)
	got := map[string]string{}
	for name, s := range sides {
		csv := func() string { return pageRequest(t, "GET", "http://"+s.pages+"/stats;csv", "", false).body }
		for i := range 2 {
			// One after the other, so that smax is 1 on both sides.
			sendRequests(t, s.fe, 1)
			waitField(t, name, csv, "fe/first", "stot", strconv.Itoa(i+1))
			waitField(t, name, csv, "fe/first", "scur", "0")
		}
		page := pageRequest(t, "GET", "http://"+s.pages+"/stats", "", false).body
		rows := regexp.MustCompile(`<tr class=socket>.*?</tr>`).FindAllString(page, -1)
		var metrics []string
		for _, l := range strings.Split(pageRequest(t, "GET", "http://"+s.pages+"/metrics", "", false).body, "\n") {
			if strings.Contains(l, "haproxy_listener_") {
				metrics = append(metrics, l)
			}
		}
		// The listener scope is these metrics alone.
		scoped := pageRequest(t, "GET", "http://"+s.pages+"/metrics?scope=listener", "", false).body
		if strings.TrimSpace(scoped) != strings.Join(metrics, "\n") {
			t.Errorf("%s: scope=listener answers\n%s", name, scoped)
		}
		if len(rows) != 3 || len(metrics) == 0 {
			t.Fatalf("%s: %d listener rows in the page, %d listener metric lines", name, len(rows), len(metrics))
		}
		got[name] = port.ReplaceAllString(strings.Join(rows, "\n"), ":PORT, id:") + "\n" + strings.Join(metrics, "\n")
	}
	if got["reference"] != got["ours"] {
		t.Errorf("listener rows and metrics differ:\nreference\n%s\nours\n%s", got["reference"], got["ours"])
	}
}

// rowNames lists the pxname/svname of a CSV's rows.
func rowNames(csv string) string {
	var names []string
	for _, l := range strings.Split(csv, "\n")[1:] {
		if f := strings.Split(l, ","); len(f) > 1 {
			names = append(names, f[0]+"/"+f[1])
		}
	}
	return strings.Join(names, " ")
}

// socketLimitConfig has a frontend with a maxconn of 1 over two sockets.
const socketLimitConfig = `defaults
	mode tcp
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	maxconn 1
	bind 127.0.0.1:%d name first
	bind 127.0.0.1:%d
	option socket-stats
	default_backend be
backend be
	server s1 %s
`

// TestSocketStatsWaitingMatchesReference: once a connection fills the
// frontend's maxconn, the listener that accepted it is WAITING and the
// other stays OPEN, as in the reference; both are OPEN again after.
func TestSocketStatsWaitingMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	srv := doublingServer(t)
	refFirst := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(socketLimitConfig, refFirst, difftest.FreePort(t), srv))
	ourFirst := difftest.FreePort(t)
	e := startAdapted(t, fmt.Sprintf(socketLimitConfig, ourFirst, difftest.FreePort(t), srv))
	sides := []struct {
		name  string
		stat  func() string
		first string
	}{
		{"reference", refShowStat(t, ref), fmt.Sprintf("127.0.0.1:%d", refFirst)},
		{"ours", func() string { return ourCSV(t, e) }, fmt.Sprintf("127.0.0.1:%d", ourFirst)},
	}
	statuses := func(stat func() string) string {
		_, rows := parseCSV(t, stat())
		return rows["fe/first"]["status"] + " " + rows["fe/sock-2"]["status"]
	}
	var held, after [2]string
	for i, s := range sides {
		c := dialT(t, s.first)
		c.Write([]byte("x"))
		io.ReadFull(c, make([]byte, 2))
		waitField(t, s.name, s.stat, "fe/FRONTEND", "scur", "1")
		held[i] = statuses(s.stat)
		c.Close()
		waitField(t, s.name, s.stat, "fe/FRONTEND", "scur", "0")
		after[i] = statuses(s.stat)
	}
	if held[0] != held[1] || after[0] != after[1] {
		t.Errorf("first, sock-2 statuses while full and after: reference %q %q, ours %q %q", held[0], after[0], held[1], after[1])
	}
}

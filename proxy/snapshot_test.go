package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/stats"
)

// statsConfig is the configuration both sides run in the statistics
// differential tests: an http frontend, a backend with servers in every
// state (checked up, backup, checked down, disabled, limited), a tcp
// listen, the exporter, and proxies refusing connections, tcp content and
// http requests.
const statsConfig = `defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind 127.0.0.1:%[1]d
	default_backend be
backend be
	cookie SRV insert
	server s1 %[3]s check inter 100 cookie c1
	server s2 %[3]s backup
	server s3 %[4]s check inter 100 agent-check agent-port 1 agent-inter 100
	server s4 %[3]s disabled
	server s5 %[3]s weight 5 maxconn 10 maxqueue 4
listen tl
	mode tcp
	bind 127.0.0.1:%[2]d
	server t1 %[3]s id 7
frontend prom
	bind 127.0.0.1:%[5]d
	http-request use-service prometheus-exporter if { path /metrics }
	http-request deny
listen tc
	mode tcp
	bind 127.0.0.1:%[6]d
	tcp-request connection reject
	server x %[3]s
listen tq
	mode tcp
	bind 127.0.0.1:%[7]d
	tcp-request inspect-delay 1s
	tcp-request content reject if { req.len gt 0 }
	server x %[3]s
listen hd
	bind 127.0.0.1:%[8]d
	http-request deny if { path /deny }
	server x %[3]s
`

// parseCSV splits `show stat` output into the header's field names and
// one name->value map per row, keyed "pxname/svname".
func parseCSV(t *testing.T, out string) ([]string, map[string]map[string]string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		t.Fatalf("not a stats CSV: %q", out)
	}
	names := strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	rows := map[string]map[string]string{}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		vals := strings.Split(l, ",")
		if len(vals) != len(names) {
			t.Fatalf("row has %d fields, header %d: %q", len(vals), len(names), l)
		}
		m := map[string]string{}
		for i, n := range names {
			m[n] = vals[i]
		}
		rows[vals[0]+"/"+vals[1]] = m
	}
	return names, rows
}

func ourCSV(t *testing.T, e *Engine) string {
	var b bytes.Buffer
	if err := stats.WriteCSV(&b, e.Snapshot(), stats.Options{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// waitStatus polls a CSV source until be/name's status starts with want.
func waitStatus(t *testing.T, what string, get func() string, name, want string) {
	t.Helper()
	for range 400 {
		_, rows := parseCSV(t, get())
		if strings.HasPrefix(rows["be/"+name]["status"], want) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	_, rows := parseCSV(t, get())
	t.Fatalf("%s: be/%s never %s (status %q)", what, name, want, rows["be/"+name]["status"])
}

// sendRequests sends n requests, one connection each, and checks they
// are answered 200.
func sendRequests(t *testing.T, addr string, n int) {
	t.Helper()
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /r%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", i)
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || !strings.Contains(line, " 200 ") {
			t.Fatalf("request %d to %s: %q %v", i, addr, line, err)
		}
	}
}

// statsPair is the reference and our engine running statsConfig, with
// checks settled (s1 up, s3 down) and the same requests sent through
// both frontends.
type statsPair struct {
	ref              *difftest.Reference
	e                *Engine
	refFE, refProm   string
	ourFE, ourProm   string
	refStat, ourStat func() string
}

// requestsPerSide is how many requests each side's frontend serves.
const requestsPerSide = 12

func startStatsPair(t *testing.T) *statsPair {
	bin := reftest.HAProxy(t)
	be := startHTTPBackend(t, "s")
	dead := deadAddr(t)
	p := &statsPair{}
	refFE, refProm := difftest.FreePort(t), difftest.FreePort(t)
	p.refFE, p.refProm = fmt.Sprintf("127.0.0.1:%d", refFE), fmt.Sprintf("127.0.0.1:%d", refProm)
	refTC, refTQ, refHD := difftest.FreePort(t), difftest.FreePort(t), difftest.FreePort(t)
	p.ref = difftest.StartReferenceConfig(t, bin, fmt.Sprintf(statsConfig, refFE, difftest.FreePort(t), be.addr(), dead, refProm,
		refTC, refTQ, refHD))
	p.refStat = func() string {
		out, err := p.ref.Command("show stat")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	e := startAdapted(t, fmt.Sprintf(statsConfig, difftest.FreePort(t), difftest.FreePort(t), be.addr(), dead, difftest.FreePort(t),
		difftest.FreePort(t), difftest.FreePort(t), difftest.FreePort(t)))
	p.e, p.ourFE, p.ourProm = e, feAddr(e, "fe"), feAddr(e, "prom")
	p.ourStat = func() string { return ourCSV(t, e) }

	waitStatus(t, "reference", p.refStat, "s3", "DOWN")
	waitStatus(t, "ours", p.ourStat, "s3", "DOWN")
	waitStatus(t, "reference", p.refStat, "s1", "UP")
	waitStatus(t, "ours", p.ourStat, "s1", "UP")
	waitField(t, "reference", p.refStat, "be/s3", "agent_status", "L4CON")
	waitField(t, "ours", p.ourStat, "be/s3", "agent_status", "L4CON")
	sendRequests(t, p.refFE, requestsPerSide)
	sendRequests(t, p.ourFE, requestsPerSide)
	refused := map[string][3]string{
		"ref":  {fmt.Sprintf("127.0.0.1:%d", refTC), fmt.Sprintf("127.0.0.1:%d", refTQ), fmt.Sprintf("127.0.0.1:%d", refHD)},
		"ours": {feAddr(e, "tc"), feAddr(e, "tq"), feAddr(e, "hd")}}
	for _, side := range []string{"ref", "ours"} {
		a := refused[side]
		sendRefused(t, a[0], "")
		sendRefused(t, a[1], "x")
		sendRefused(t, a[2], "GET /deny HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	}
	for side, get := range map[string]func() string{"reference": p.refStat, "ours": p.ourStat} {
		waitField(t, side, get, "tc/FRONTEND", "dcon", "1")
		waitField(t, side, get, "tq/FRONTEND", "dreq", "1")
		waitField(t, side, get, "hd/FRONTEND", "dreq", "1")
	}
	// The last request is accounted for once its log is out, which
	// can be after the client read the response.
	n := strconv.Itoa(requestsPerSide)
	waitField(t, "reference", p.refStat, "be/BACKEND", "req_tot", n)
	waitField(t, "ours", p.ourStat, "be/BACKEND", "req_tot", n)
	waitField(t, "reference", p.refStat, "be/BACKEND", "scur", "0")
	waitField(t, "ours", p.ourStat, "be/BACKEND", "scur", "0")
	return p
}

// sendRefused connects to addr, sends data and reads until the proxy
// closes the connection (or resets it while connecting).
func sendRefused(t *testing.T, addr, data string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return // reset at once: refused as expected
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if data != "" {
		c.Write([]byte(data))
	}
	io.Copy(io.Discard, c)
}

// waitField polls a CSV source until row key's field is want.
func waitField(t *testing.T, what string, get func() string, key, field, want string) {
	t.Helper()
	for range 400 {
		if _, rows := parseCSV(t, get()); rows[key][field] == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, rows := parseCSV(t, get())
	t.Fatalf("%s: %s %s never %s (%q)", what, key, field, want, rows[key][field])
}

// TestStatsCSVDifferential runs the same configuration on the reference
// and on our engine, sends the same requests through both, and compares
// `show stat` with our CSV: the header line byte for byte, for every row
// which fields are empty, and the values that must agree.
func TestStatsCSVDifferential(t *testing.T) {
	p := startStatsPair(t)
	refStat, oursStat := p.refStat, p.ourStat
	refOut, ourOut := refStat(), oursStat()
	refHeader, _, _ := strings.Cut(refOut, "\n")
	ourHeader, _, _ := strings.Cut(ourOut, "\n")
	if refHeader != ourHeader {
		t.Fatalf("CSV header:\nref  %s\nours %s", refHeader, ourHeader)
	}
	names, refRows := parseCSV(t, refOut)
	_, ourRows := parseCSV(t, ourOut)
	var refOrder, ourOrder []string
	for _, l := range strings.Split(refOut, "\n")[1:] {
		if f := strings.Split(l, ","); len(f) > 1 {
			refOrder = append(refOrder, f[0]+"/"+f[1])
		}
	}
	for _, l := range strings.Split(ourOut, "\n")[1:] {
		if f := strings.Split(l, ","); len(f) > 1 {
			ourOrder = append(ourOrder, f[0]+"/"+f[1])
		}
	}
	if strings.Join(refOrder, " ") != strings.Join(ourOrder, " ") {
		t.Fatalf("rows:\nref  %v\nours %v", refOrder, ourOrder)
	}
	// Fields whose value must be the same (times, rates, byte counts
	// and check durations differ by nature; slim depends on the
	// process's file limit).
	same := map[string]bool{"pxname": true, "svname": true, "qcur": true, "scur": true, "stot": true,
		"dreq": true, "ereq": true, "econ": true, "eresp": true, "wretr": true, "wredis": true, "status": true,
		"weight": true, "act": true, "bck": true, "chkdown": true, "qlimit": true, "pid": true, "iid": true,
		"sid": true, "type": true, "check_status": true, "hrsp_1xx": true, "hrsp_2xx": true, "hrsp_3xx": true,
		"hrsp_4xx": true, "hrsp_5xx": true, "hrsp_other": true, "req_tot": true, "check_desc": true,
		"check_rise": true, "check_fall": true, "check_health": true, "addr": true, "mode": true, "algo": true,
		"conn_tot": true, "uweight": true, "cookie": true, "lbtot": true, "connect": true, "intercepted": true, "dcon": true, "dses": true, "dresp": true, "agent_status": true, "agent_desc": true, "agent_rise": true, "agent_fall": true, "agent_health": true, "cli_abrt": true, "srv_abrt": true, "agg_server_status": true, "chkfail": true}
	// Fields present or empty depending on timing in the reference.
	presence := map[string]bool{"last_chk": false, "last_agt": false}
	for _, key := range refOrder {
		r, o := refRows[key], ourRows[key]
		for _, f := range names {
			if _, skip := presence[f]; skip {
				continue
			}
			if (r[f] == "") != (o[f] == "") {
				t.Errorf("%s %s: ref %q, ours %q (one is empty)", key, f, r[f], o[f])
				continue
			}
			// "* " marks a check running at that instant.
			if rv := strings.TrimPrefix(r[f], "* "); same[f] && rv != strings.TrimPrefix(o[f], "* ") {
				t.Errorf("%s %s: ref %q, ours %q", key, f, r[f], o[f])
			}
		}
	}
	if t.Failed() {
		t.Logf("reference:\n%s\nours:\n%s", refOut, ourOut)
	}

	// `show stat typed`: the same fields with the same tags and types.
	refTyped, err := p.ref.Command("show stat typed")
	if err != nil {
		t.Fatal(err)
	}
	var ourTyped bytes.Buffer
	stats.WriteTyped(&ourTyped, p.e.Snapshot(), stats.Options{})
	typedKeys := func(s string) string {
		var keys []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			parts := strings.SplitN(l, ":", 4)
			if len(parts) == 4 && !strings.Contains(parts[0], ".last_chk.") {
				keys = append(keys, strings.Join(parts[:3], ":"))
			}
		}
		return strings.Join(keys, "\n")
	}
	if r, o := typedKeys(refTyped), typedKeys(ourTyped.String()); r != o {
		t.Errorf("show stat typed fields differ:\nref\n%s\nours\n%s", r, o)
	}
}

// startAdapted maps a configuration body (after a global section with a
// stats socket, as the reference's differential runs have) and runs it
// until the test ends.
func startAdapted(t *testing.T, body string) *Engine { return startAdaptedLog(t, body, nil) }

// startAdaptedLog is startAdapted with the engine's messages in sink.
func startAdaptedLog(t *testing.T, body string, sink *logSink) *Engine {
	t.Helper()
	cfg, diags := adapt(t, "global\n\tstats socket /nonexistent/admin.sock level admin\n"+body)
	for _, d := range diags {
		t.Logf("adapter: %s", d.Message)
	}
	return startEngine(t, cfg, sink)
}

// TestInfoFieldsMatchReference compares `show info typed` of the
// reference with ours: the same fields in the same order with the same
// tags and types (values differ by nature: pids, times, memory).
func TestInfoFieldsMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	const body = "global\n\tnode n1\ndefaults\n\tmode http\n\ttimeout connect 1s\n\ttimeout client 1s\n\ttimeout server 1s\nfrontend fe\n\tbind 127.0.0.1:%d\n"
	ref := difftest.StartReferenceConfig(t, bin, fmt.Sprintf(body, difftest.FreePort(t)))
	out, err := ref.Command("show info typed")
	if err != nil {
		t.Fatal(err)
	}
	e := startAdapted(t, fmt.Sprintf(body, difftest.FreePort(t)))
	var ours bytes.Buffer
	stats.WriteInfo(&ours, e.Info(Version, ReleaseDate), stats.Typed)
	shape := func(s string) []string {
		var keys []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			// pos.name.proc:TAGS:type:value -> without the value
			if parts := strings.SplitN(l, ":", 4); len(parts) == 4 {
				keys = append(keys, strings.Join(parts[:3], ":"))
			}
		}
		return keys
	}
	r, o := shape(out), shape(ours.String())
	if strings.Join(r, "\n") != strings.Join(o, "\n") {
		t.Errorf("show info typed fields:\nref  %v\nours %v", r, o)
	}
}

// TestStatsMaintDifferential puts a checked server into maintenance and
// takes another out of it, through the reference's Runtime API and our
// engine's admin methods, and compares the two servers' rows: a server in
// maintenance shows no check fields, and the change resets lastchg.
func TestStatsMaintDifferential(t *testing.T) {
	p := startStatsPair(t)
	for _, cmd := range []string{"set server be/s1 state maint", "set server be/s4 state ready"} {
		if out, err := p.ref.Command(cmd); err != nil || strings.TrimSpace(out) != "" {
			t.Fatalf("%s: %q %v", cmd, out, err)
		}
	}
	if err := p.e.SetServerAdmin("be", "s1", AdminMaint); err != nil {
		t.Fatal(err)
	}
	if err := p.e.SetServerAdmin("be", "s4", AdminReady); err != nil {
		t.Fatal(err)
	}
	_, refRows := parseCSV(t, p.refStat())
	names, ourRows := parseCSV(t, p.ourStat())
	same := map[string]bool{"status": true, "weight": true, "act": true, "bck": true, "chkfail": true,
		"chkdown": true, "check_rise": true, "check_fall": true, "check_health": true}
	for _, key := range []string{"be/s1", "be/s4", "be/BACKEND"} {
		r, o := refRows[key], ourRows[key]
		for _, f := range names {
			if (r[f] == "") != (o[f] == "") || same[f] && r[f] != o[f] {
				t.Errorf("%s %s: ref %q, ours %q", key, f, r[f], o[f])
			}
		}
		// Seconds since the change: both just changed (a second
		// boundary may fall between the two reads).
		rl, _ := strconv.Atoi(r["lastchg"])
		ol, _ := strconv.Atoi(o["lastchg"])
		if rl > 1 || ol > 1 {
			t.Errorf("%s lastchg: ref %d, ours %d (both just changed)", key, rl, ol)
		}
	}
}

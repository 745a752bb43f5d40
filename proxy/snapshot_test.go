package proxy

import (
	"bufio"
	"bytes"
	"fmt"
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
// state (checked up, backup, checked down, disabled, limited) and a tcp
// listen.
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
	http-request use-service prometheus-exporter
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
	p.ref = difftest.StartReferenceConfig(t, bin, fmt.Sprintf(statsConfig, refFE, difftest.FreePort(t), be.addr(), dead, refProm))
	p.refStat = func() string {
		out, err := p.ref.Command("show stat")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	e := startAdapted(t, fmt.Sprintf(statsConfig, difftest.FreePort(t), difftest.FreePort(t), be.addr(), dead, difftest.FreePort(t)))
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
	// The last request is accounted for once its log is out, which
	// can be after the client read the response.
	n := strconv.Itoa(requestsPerSide)
	waitField(t, "reference", p.refStat, "be/BACKEND", "req_tot", n)
	waitField(t, "ours", p.ourStat, "be/BACKEND", "req_tot", n)
	waitField(t, "reference", p.refStat, "be/BACKEND", "scur", "0")
	waitField(t, "ours", p.ourStat, "be/BACKEND", "scur", "0")
	return p
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
	// process's file limit; lbtot counts differently in the reference's
	// first request).
	same := map[string]bool{"pxname": true, "svname": true, "qcur": true, "scur": true, "stot": true,
		"dreq": true, "ereq": true, "econ": true, "eresp": true, "wretr": true, "wredis": true, "status": true,
		"weight": true, "act": true, "bck": true, "chkdown": true, "qlimit": true, "pid": true, "iid": true,
		"sid": true, "type": true, "check_status": true, "hrsp_1xx": true, "hrsp_2xx": true, "hrsp_3xx": true,
		"hrsp_4xx": true, "hrsp_5xx": true, "hrsp_other": true, "req_tot": true, "check_desc": true,
		"check_rise": true, "check_fall": true, "check_health": true, "addr": true, "mode": true, "algo": true,
		"conn_tot": true, "uweight": true, "cookie": true, "agent_status": true, "agent_desc": true, "agent_rise": true, "agent_fall": true, "agent_health": true, "last_agt": true, "cli_abrt": true, "srv_abrt": true, "agg_server_status": true, "chkfail": true}
	// Fields present or empty depending on timing in the reference.
	presence := map[string]bool{"last_chk": false}
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
			if same[f] && r[f] != o[f] {
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
func startAdapted(t *testing.T, body string) *Engine {
	t.Helper()
	cfg, diags := adapt(t, "global\n\tstats socket /nonexistent/admin.sock level admin\n"+body)
	for _, d := range diags {
		t.Logf("adapter: %s", d.Message)
	}
	return startEngine(t, cfg, nil)
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

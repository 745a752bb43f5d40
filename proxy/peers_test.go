package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fulcrum/confparse"
	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
	"fulcrum/proxy/stick"
)

// peersConfig is a two-peer configuration: A and B replicate be's table,
// which `stick on src` fills. BIND, S1, S2 are substituted per side.
func peersConfig(portA, portB int) string {
	return peersConfigWith(portA, portB, "", `	stick-table type ip size 100 expire 30s peers mypeers store http_req_cnt,http_req_rate(10s),conn_cnt,sess_cnt,bytes_out_cnt,gpc0
	stick on src
	http-request track-sc0 src
`)
}

// peersConfigWith is peersConfig with lines of the peers section and of
// the backend of the test's own.
func peersConfigWith(portA, portB int, peersLines, backendLines string) string {
	return diffDefaults("http") + fmt.Sprintf(`peers mypeers
	peer A 127.0.0.1:%d
	peer B 127.0.0.1:%d
%sfrontend fe
	bind BIND
	default_backend be
backend be
	balance roundrobin
%s	server s1 S1
	server s2 S2
`, portA, portB, peersLines, backendLines)
}

// startPeer runs our engine on text as the local peer name.
func startPeer(t *testing.T, text, name string) *Engine {
	t.Helper()
	be := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}, {Name: "s2"}})
	text = strings.NewReplacer("BIND", fmt.Sprintf("127.0.0.1:%d", difftest.FreePort(t)), "S1", be.Addr("s1"), "S2", be.Addr("s2")).Replace(text)
	cfg, diags := adapt(t, text)
	if cfg == nil || confparse.HasAlert(diags) {
		t.Fatalf("adapter refused the configuration: %v", diags)
	}
	for _, d := range diags {
		if strings.Contains(d.Message, "replicat") {
			t.Errorf("warning about replication: %s", d.Message)
		}
	}
	return startEngineOpts(t, cfg, Options{LocalPeer: name})
}

// ourTable is our `show table NAME`, normalised.
func ourTable(t *testing.T, e *Engine, name string) string {
	t.Helper()
	tb := e.StickTable(name)
	if tb == nil {
		t.Fatalf("no table %q", name)
	}
	var b strings.Builder
	tb.Show(&b, stick.Query{})
	return normTable(b.String())
}

// waitSame polls until both readings agree and are not empty.
func waitSame(t *testing.T, what string, a, b func() string) {
	t.Helper()
	var x, y string
	for range 200 {
		if x, y = a(), b(); x == y && strings.Contains(x, "key=") {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s:\n%s\n---\n%s", what, x, y)
}

// TestPeersDifferential: the reference is peer A and our engine peer B
// of one section. Persistence and counters set by traffic through either
// side show on the other: the same `show table` on both.
func TestPeersDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	text := peersConfig(difftest.FreePort(t), difftest.FreePort(t))
	rbe := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}, {Name: "s2"}})
	refAddr := fmt.Sprintf("127.0.0.1:%d", difftest.FreePort(t))
	ref := difftest.StartReferenceConfig(t, bin, strings.NewReplacer("BIND", refAddr, "S1", rbe.Addr("s1"), "S2", rbe.Addr("s2")).Replace(text), "-L", "A")
	ours := startPeer(t, text, "B")
	refTable := func() string {
		out, err := ref.Command("show table be")
		if err != nil {
			t.Fatal(err)
		}
		return normTable(out)
	}
	oursTable := func() string { return ourTable(t, ours, "be") }

	srcs := difftest.Sources(3)
	// Through ours: two sources go to s1 and s2 and stick there.
	for _, src := range srcs[:2] {
		if _, err := difftest.DialHTTP(feAddr(ours, "fe"), src, "/", ""); err != nil {
			t.Fatal(err)
		}
	}
	waitSame(t, "ours -> reference", refTable, oursTable)
	if n := strings.Count(refTable(), " key="); n != 2 {
		t.Fatalf("the reference has %d entries, want 2:\n%s", n, refTable())
	}
	// Through the reference: a third source, and the first again
	// (its counter goes up on both).
	var viaRef []string
	for _, src := range []string{srcs[2], srcs[0]} {
		body, err := difftest.DialHTTP(refAddr, src, "/", "")
		if err != nil {
			t.Fatal(err)
		}
		viaRef = append(viaRef, answerOf(body, nil))
	}
	waitSame(t, "reference -> ours", refTable, oursTable)
	if n := strings.Count(oursTable(), " key="); n != 3 {
		t.Fatalf("ours has %d entries, want 3:\n%s", n, oursTable())
	}
	// The learned persistence is used: the source that came through the
	// reference goes to the same server through ours, though our round
	// robin would now pick the other one (a new source just took s1).
	fresh := difftest.Sources(4)[3]
	if _, err := difftest.DialHTTP(feAddr(ours, "fe"), fresh, "/", ""); err != nil {
		t.Fatal(err)
	}
	body, err := difftest.DialHTTP(feAddr(ours, "fe"), srcs[2], "/", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := answerOf(body, nil); got != viaRef[0] {
		t.Errorf("%s went to %q through ours, %q through the reference", srcs[2], got, viaRef[0])
	}
}

// TestPeersOursReload: two of our engines as peers A and B; B learns A's
// entries, and after an in-process reload B still has them and keeps
// replicating.
func TestPeersOursReload(t *testing.T) {
	text := peersConfig(difftest.FreePort(t), difftest.FreePort(t))
	a := startPeer(t, text, "A")
	b := startPeer(t, text, "B")
	src := difftest.Sources(2)
	if _, err := difftest.DialHTTP(feAddr(a, "fe"), src[0], "/", ""); err != nil {
		t.Fatal(err)
	}
	waitSame(t, "A -> B", func() string { return ourTable(t, a, "be") }, func() string { return ourTable(t, b, "be") })

	cfg, _ := adapt(t, strings.NewReplacer("BIND", feAddr(b, "fe"), "S1", "127.0.0.1:9", "S2", "127.0.0.1:9").Replace(text))
	if err := b.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := ourTable(t, b, "be"); !strings.Contains(got, "key="+src[0]) {
		t.Fatalf("after the reload B lost its entries:\n%s", got)
	}
	if _, err := difftest.DialHTTP(feAddr(a, "fe"), src[1], "/", ""); err != nil {
		t.Fatal(err)
	}
	waitSame(t, "A -> B after B's reload", func() string { return ourTable(t, a, "be") }, func() string { return ourTable(t, b, "be") })
}

// TestPeersHandOver: a reload in another process. The new engine starts
// as the same local peer while the old one still runs (both listen on
// the peer address); the old one's soft stop teaches it every entry.
func TestPeersHandOver(t *testing.T) {
	text := peersConfig(difftest.FreePort(t), difftest.FreePort(t))
	old := startPeer(t, text, "A")
	srcs := difftest.Sources(2)
	for _, src := range srcs {
		if _, err := difftest.DialHTTP(feAddr(old, "fe"), src, "/", ""); err != nil {
			t.Fatal(err)
		}
	}
	before := ourTable(t, old, "be")
	if strings.Count(before, " key=") != 2 {
		t.Fatalf("the old engine's table:\n%s", before)
	}
	next := startPeer(t, text, "A")
	if got := ourTable(t, next, "be"); strings.Contains(got, " key=") {
		t.Fatalf("the new engine has entries before the hand-over:\n%s", got)
	}
	old.Stop(2 * time.Second)
	if got := ourTable(t, next, "be"); got != before {
		t.Fatalf("after the hand-over:\n%s\nwant:\n%s", got, before)
	}
}

// TestPeersSectionTableDifferential: a table declared in the peers
// section (called mypeers/t1 by rules, "/t1" on the wire) replicates
// between the reference (A) and ours (B) both ways.
func TestPeersSectionTableDifferential(t *testing.T) {
	bin := reftest.HAProxy(t)
	text := peersConfigWith(difftest.FreePort(t), difftest.FreePort(t),
		"\ttable t1 type string len 12 size 10 expire 1m store gpc0,http_req_cnt\n",
		"\thttp-request track-sc1 req.hdr(x-user) table mypeers/t1\n\thttp-request sc-inc-gpc0(1)\n")
	rbe := difftest.StartHTTPBackends(t, []difftest.Server{{Name: "s1"}, {Name: "s2"}})
	refAddr := fmt.Sprintf("127.0.0.1:%d", difftest.FreePort(t))
	ref := difftest.StartReferenceConfig(t, bin, strings.NewReplacer("BIND", refAddr, "S1", rbe.Addr("s1"), "S2", rbe.Addr("s2")).Replace(text), "-L", "A")
	ours := startPeer(t, text, "B")
	refTable := func() string {
		out, err := ref.Command("show table mypeers/t1")
		if err != nil {
			t.Fatal(err)
		}
		return normTable(out)
	}
	oursTable := func() string { return ourTable(t, ours, "mypeers/t1") }
	for i, addr := range []string{feAddr(ours, "fe"), refAddr, feAddr(ours, "fe")} {
		if _, err := difftest.DialHTTP(addr, "127.0.0.1", "/", fmt.Sprintf("X-User: user%d", i%2)); err != nil {
			t.Fatal(err)
		}
		waitSame(t, fmt.Sprintf("after request %d", i), refTable, oursTable)
	}
	if got := refTable(); !strings.Contains(got, "key=user0 use=0 exp=E gpc0=2 http_req_cnt=2") {
		t.Errorf("user0 was not counted on both sides:\n%s", got)
	}
}

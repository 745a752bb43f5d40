package peers

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/stick"
)

// refPeer is a reference haproxy running one peers section whose local
// peer is "A" and whose other peer is "B" at bAddr.
type refPeer struct {
	addr string // A's peer address
	sock string // its stats socket
	out  *reftest.Output
}

func startRefPeer(t *testing.T, bAddr string, table string) *refPeer {
	t.Helper()
	bin := reftest.HAProxy(t)
	dir := t.TempDir()
	rp := &refPeer{addr: fmt.Sprintf("127.0.0.1:%d", reftest.FreePort(t)), sock: filepath.Join(dir, "stats.sock"), out: &reftest.Output{}}
	cfg := fmt.Sprintf(`global
  localpeer A
  stats socket %s level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
peers mypeers
  peer A %s
  peer B %s
backend be
  %s
  server s1 127.0.0.1:9 id 3
  server s2 127.0.0.1:9 id 4
`, rp.sock, rp.addr, bAddr, table)
	path := filepath.Join(dir, "h.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", path, "-db")
	cmd.Stdout, cmd.Stderr = rp.out, rp.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", rp.sock); err == nil {
			c.Close()
			return rp
		}
		if i == 100 {
			t.Fatalf("reference did not start: %s", rp.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cli runs one Runtime API command on the reference.
func (rp *refPeer) cli(t *testing.T, cmd string) string {
	t.Helper()
	c, err := net.Dial("unix", rp.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s\n", cmd)
	var b strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

// eventually polls cond for a few seconds (the peers timers are seconds).
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for i := 0; i < 150; i++ {
		ok, s := cond()
		if ok {
			return
		}
		last = s
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: never happened; last state:\n%s", what, last)
}

// TestReferencePeers runs our node as peer B next to the reference as
// peer A: entries set on either side appear on the other with the same
// data, including server_id and server_key.
func TestReferencePeers(t *testing.T) {
	for _, tc := range []struct {
		desc, line, key, data string
	}{
		{desc: "ip", line: "stick-table type ip size 100 expire 30m peers mypeers store server_id,gpc0,conn_cnt,http_req_rate(10s),server_key",
			key: "10.0.0.1", data: "data.gpc0 7 data.server_id 3 data.conn_cnt 5"},
		{desc: "integer", line: "stick-table type integer size 100 expire 30m peers mypeers store gpc0,gpc0_rate(1m),bytes_out_cnt",
			key: "4242", data: "data.gpc0 9 data.bytes_out_cnt 123456789012"},
		{desc: "string", line: "stick-table type string len 16 size 100 expire 10m peers mypeers store gpc0,http_err_cnt,sess_cnt",
			key: "user-abc", data: "data.gpc0 1 data.http_err_cnt 2 data.sess_cnt 3"},
		{desc: "ipv6 no expire", line: "stick-table type ipv6 size 100 peers mypeers store conn_cur,http_req_cnt,gpt0",
			key: "2001:db8::1", data: "data.conn_cur 4 data.http_req_cnt 11 data.gpt0 6"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			spec := specOf(t, "be", tc.line)
			table := stick.New(spec, nil)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			rp := startRefPeer(t, ln.Addr().String(), tc.line)
			node, err := Start(context.Background(), Config{Section: "mypeers", Local: "B", Listener: ln,
				Remotes: []Peer{{Name: "A", Addr: rp.addr}}, Tables: []Table{{Name: "be", Table: table}}, Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			defer node.Close()

			// ref -> ours
			rp.cli(t, "set table be key "+tc.key+" "+tc.data)
			refLine := func() string {
				for _, l := range strings.Split(rp.cli(t, "show table be"), "\n") {
					if strings.Contains(l, " key="+tc.key+" ") {
						return l
					}
				}
				return ""
			}
			eventually(t, "reference entry replicated to ours", func() (bool, string) {
				key, _ := table.ParseKey(tc.key)
				e := table.Lookup(key)
				if e == nil {
					return false, "no entry"
				}
				return sameData(refLine(), oursLine(table, tc.key)), oursLine(table, tc.key) + "\n" + refLine()
			})
			if v, ok := table.Value(table.Lookup(mustKey(t, table, tc.key)), stick.ConnCur); ok && v != 0 {
				t.Errorf("conn_cur was taken from the peer (%d); the reference keeps its own", v)
			}

			// ours -> ref: a second key set through our table.
			key2 := map[string]string{"ip": "10.0.0.2", "integer": "99", "string": "other", "ipv6 no expire": "2001:db8::2"}[tc.desc]
			if err := table.SetQuery(append([]string{"key", key2}, strings.Fields(tc.data)...)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "our entry replicated to the reference", func() (bool, string) {
				var l string
				for _, x := range strings.Split(rp.cli(t, "show table be"), "\n") {
					if strings.Contains(x, " key="+key2+" ") {
						l = x
					}
				}
				return l != "" && sameData(l, oursLine(table, key2)), l + "\n" + oursLine(table, key2)
			})
		})
	}
}

// oursLine is our `show table` line of a key ("" when absent).
func oursLine(t *stick.Table, key string) string {
	var b strings.Builder
	t.Show(&b, stick.Query{})
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.Contains(l, " key="+key+" ") {
			return l
		}
	}
	return ""
}

// sameData compares two `show table` lines' data fields (after exp=).
func sameData(a, b string) bool {
	tail := func(l string) string {
		f := strings.Fields(l)
		for i, x := range f {
			if strings.HasPrefix(x, "exp=") {
				var keep []string
				for _, x := range f[i+1:] {
					if !strings.HasPrefix(x, "conn_cur=") { // local to each process, checked apart
						keep = append(keep, x)
					}
				}
				return strings.Join(keep, " ")
			}
		}
		return ""
	}
	return a != "" && b != "" && tail(a) == tail(b)
}

// specOf reads the words of a stick-table line the tests use.
func specOf(t *testing.T, name, line string) stick.Spec {
	t.Helper()
	w := strings.Fields(line)[1:]
	sp := stick.Spec{Name: name}
	for i := 0; i+1 < len(w); i += 2 {
		switch w[i] {
		case "type":
			sp.Key = map[string]stick.KeyType{"ip": stick.IP, "ipv6": stick.IPv6, "integer": stick.Integer, "string": stick.String, "binary": stick.Binary}[w[i+1]]
			if sp.Key == stick.String || sp.Key == stick.Binary {
				sp.KeyLen = stick.DefaultKeyLen
				if i+3 < len(w) && w[i+2] == "len" {
					fmt.Sscan(w[i+3], &sp.KeyLen)
					i += 2
				}
			}
		case "size":
			fmt.Sscan(w[i+1], &sp.Size)
		case "expire":
			d, err := time.ParseDuration(w[i+1])
			if err != nil {
				t.Fatal(err)
			}
			sp.Expire = d
		case "store":
			for _, s := range strings.Split(w[i+1], ",") {
				n, period, _ := strings.Cut(strings.TrimSuffix(s, ")"), "(")
				dt, ok := stick.ParseDataType(n)
				if !ok {
					t.Fatalf("unknown data type %q", n)
				}
				p, _ := time.ParseDuration(period)
				sp.Store(dt, p)
			}
		}
	}
	return sp
}

func mustKey(t *testing.T, tb *stick.Table, k string) []byte {
	key, ok := tb.ParseKey(k)
	if !ok {
		t.Fatalf("bad key %q", k)
	}
	return key
}

// TestReferenceHelloStatus sends the same hellos to the reference and to
// our node (both as peer "A" knowing "B") and compares the status lines.
func TestReferenceHelloStatus(t *testing.T) {
	line := "stick-table type ip size 10 peers mypeers store gpc0"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // B never answers: only the hellos matter here
	rp := startRefPeer(t, ln.Addr().String(), line)
	node, err := Start(context.Background(), Config{Section: "mypeers", Local: "A", Listen: "127.0.0.1:0",
		Remotes: []Peer{{Name: "B", Addr: ln.Addr().String()}}, Tables: []Table{{Name: "be", Table: stick.New(specOf(t, "be", line), nil)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	status := func(addr, hello string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		c.Write([]byte(hello))
		l, _ := bufio.NewReader(c).ReadString('\n')
		return l
	}
	for _, hello := range []string{
		"HAProxyS 2.1\nA\nB 1 1\n",
		"HAProxyS 2.0\nA\nB 1 1\n",
		"HAProxyS 3.0\nA\nB 1 1\n",
		"HAProxyS 2.9\nA\nB 1 1\n",
		"HAProxyS 2.1\nC\nB 1 1\n",
		"HAProxyS 2.1\nA\nZ 1 1\n",
		"HAProxyX 2.1\nA\nB 1 1\n",
	} {
		ref, ours := status(rp.addr, hello), status(node.Addr().String(), hello)
		if ref != ours {
			t.Errorf("hello %q: reference answers %q, ours %q", hello, ref, ours)
		}
	}
}

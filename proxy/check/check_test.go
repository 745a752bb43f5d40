package check

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"fulcrum/proxy/internal/difftest"
)

// TestHealthCounter follows HAProxy's check->health rules: a server starts
// up with health=rise (one failure takes it down), needs rise successes to
// come back, and once fully up survives fall-1 failures.
func TestHealthCounter(t *testing.T) {
	ok, ko := Result{Status: L4OK}, Result{Status: L4CON}
	tests := []struct {
		desc       string
		rise, fall int
		seq        []Result
		want       []bool // state after each result
	}{
		{"first failure at start takes it down", 2, 3, []Result{ko}, []bool{false}},
		{"rise successes bring it back", 2, 3, []Result{ko, ok, ok}, []bool{false, false, true}},
		{"fully up survives fall-1 failures", 2, 3, []Result{ok, ko, ko, ko}, []bool{true, true, true, false}},
		{"success resets to full health", 2, 3, []Result{ok, ko, ko, ok, ko, ko}, []bool{true, true, true, true, true, true}},
		{"rise 1 fall 1", 1, 1, []Result{ko, ok, ko}, []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var changes []bool
			c := New(&Spec{}, Target{Rise: tt.rise, Fall: tt.fall}, func(tr Transition) { changes = append(changes, tr.Up) })
			prev := true
			var wantChanges []bool
			for i, r := range tt.seq {
				c.Observe(r)
				if c.Up() != tt.want[i] {
					t.Fatalf("after result %d: up=%v want %v (health %d)", i, c.Up(), tt.want[i], c.Health())
				}
				if tt.want[i] != prev {
					wantChanges = append(wantChanges, tt.want[i])
				}
				prev = tt.want[i]
			}
			if len(changes) != len(wantChanges) {
				t.Fatalf("transitions %v want %v", changes, wantChanges)
			}
		})
	}
}

func TestEvalHTTP(t *testing.T) {
	resp := func(code, reason, body string) []byte {
		return []byte("HTTP/1.1 " + code + " " + reason + "\r\nContent-Type: text/plain\r\n\r\n" + body)
	}
	mk := func(k ExpectKind, neg bool, p string) *Expect {
		e, err := NewExpect(k, neg, p)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		desc   string
		expect *Expect
		resp   []byte
		want   Status
	}{
		{"default 200", nil, resp("200", "OK", ""), L7OK},
		{"default 302", nil, resp("302", "Found", ""), L7OK},
		{"default 503", nil, resp("503", "Service Unavailable", ""), L7STS},
		{"status list", mk(ExpectStatus, false, "200,204-206"), resp("205", "x", ""), L7OK},
		{"status miss", mk(ExpectStatus, false, "200"), resp("301", "x", ""), L7STS},
		{"negated status", mk(ExpectStatus, true, "500"), resp("500", "x", ""), L7STS},
		{"rstatus", mk(ExpectRStatus, false, "^2"), resp("204", "x", ""), L7OK},
		{"string", mk(ExpectString, false, "alive"), resp("200", "OK", "i am alive"), L7OK},
		{"string miss", mk(ExpectString, false, "alive"), resp("200", "OK", "dead"), L7RSP},
		{"negated string", mk(ExpectString, true, "maintenance"), resp("200", "OK", "maintenance mode"), L7RSP},
		{"rstring", mk(ExpectRString, false, "v[0-9]+"), resp("200", "OK", "version v12"), L7OK},
		{"garbage", nil, []byte("SSH-2.0-OpenSSH\r\n"), L7RSP},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := evalHTTP(tt.expect, tt.resp); got.Status != tt.want {
				t.Fatalf("got %+v want status %d", got, tt.want)
			}
		})
	}
}

func TestNewExpectErrors(t *testing.T) {
	for _, c := range []struct {
		k ExpectKind
		p string
	}{{ExpectRString, "("}, {ExpectStatus, "abc"}, {ExpectBinary, "zz"}, {ExpectBinary, "abc"}} {
		if _, err := NewExpect(c.k, false, c.p); err == nil {
			t.Errorf("%d %q: want an error", c.k, c.p)
		}
	}
}

// lineServer answers like a tiny text protocol: a banner, then an echo of
// each line in upper case.
func lineServer(t *testing.T, banner string) netip.AddrPort {
	ln := difftest.Serve(t, difftest.BackendHost+":0", func(c net.Conn) {
		io.WriteString(c, banner)
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			io.WriteString(c, strings.ToUpper(sc.Text())+"\r\n")
		}
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}

func TestTCPCheck(t *testing.T) {
	addr := lineServer(t, "+OK ready\r\n")
	exp := func(k ExpectKind, neg bool, p string) Step {
		e, err := NewExpect(k, neg, p)
		if err != nil {
			t.Fatal(err)
		}
		return Step{Kind: ExpectStep, Expect: e}
	}
	tests := []struct {
		desc  string
		steps []Step
		want  Status
	}{
		{"banner", []Step{exp(ExpectString, false, "+OK")}, L7OK},
		{"send and expect", []Step{exp(ExpectString, false, "+OK"), {Kind: Send, Data: "ping\r\n"}, exp(ExpectString, false, "PING")}, L7OK},
		{"send-binary", []Step{{Kind: SendBinary, Data: "70696e670d0a"}, exp(ExpectRString, false, "P.NG")}, L7OK},
		{"binary expect", []Step{exp(ExpectBinary, false, "2b4f4b")}, L7OK},
		// The server keeps the connection open: HAProxy waits for the
		// match until the check times out.
		{"mismatch", []Step{exp(ExpectString, false, "-ERR")}, L7TOUT},
		{"negated", []Step{exp(ExpectString, true, "+OK")}, L7RSP},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := New(&Spec{Kind: TCPCheck, Steps: tt.steps}, Target{Addr: addr, Inter: 300 * time.Millisecond}, nil)
			if got := c.Once(context.Background()); got.Status != tt.want {
				t.Fatalf("got %+v want %d", got, tt.want)
			}
		})
	}
}

func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	r := New(&Spec{}, Target{Addr: addr}, nil).Once(context.Background())
	if r.Status != L4CON || r.Info != "Connection refused" {
		t.Fatalf("got %+v", r)
	}
	if !strings.HasPrefix(r.Reason(), `reason: Layer4 connection problem, info: "Connection refused", check duration: `) {
		t.Fatalf("reason %q", r.Reason())
	}
}

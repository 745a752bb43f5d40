package proxy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// fakeServer is a loopback server whose behaviour a test switches
// between phases, and which keeps what the last client sent.
type fakeServer struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	act  []act
	ln   net.Listener
	gen  int            // bumped by set
	got  map[int][]byte // what the first finished connection of a generation sent
}

// act is one move of a fake server: write bytes, read once, or (close)
// hang up at once.
type act struct {
	write []byte
	read  bool
}

func say(s string) act    { return act{write: []byte(s)} }
func sayB(b []byte) act   { return act{write: b} }
func hear() act           { return act{read: true} }
func acts(a ...act) []act { return a }

func newFake(t *testing.T) *fakeServer {
	f := &fakeServer{t: t, got: map[int][]byte{}}
	f.listen(difftest.BackendHost + ":0")
	return f
}

func (f *fakeServer) listen(addr string) {
	ln := difftest.Serve(f.t, addr, f.serve)
	f.mu.Lock()
	f.ln, f.addr = ln, ln.Addr().String()
	f.mu.Unlock()
}

// set switches the behaviour for the next connections; nil acts make
// the server refuse connections.
func (f *fakeServer) set(a []act) {
	f.mu.Lock()
	ln := f.ln
	if a == nil && ln != nil {
		ln.Close()
		f.ln = nil
	}
	f.act = a
	f.gen++
	f.mu.Unlock()
	if a != nil && ln == nil {
		f.listen(f.addr)
	}
}

// received waits for what a client sent under the current behaviour.
func (f *fakeServer) received() []byte {
	for range 200 {
		f.mu.Lock()
		b, ok := f.got[f.gen]
		f.mu.Unlock()
		if ok {
			return b
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func (f *fakeServer) serve(c net.Conn) {
	f.mu.Lock()
	script, gen := f.act, f.gen
	f.mu.Unlock()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for _, a := range script {
		if a.read {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				return
			}
			continue
		}
		if _, err := c.Write(a.write); err != nil {
			return
		}
	}
	// Whatever else the client says before it hangs up.
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	rest, _ := io.ReadAll(c)
	f.mu.Lock()
	if _, ok := f.got[gen]; !ok {
		f.got[gen] = append(got, rest...)
	}
	f.mu.Unlock()
}

// protoPhase is one behaviour of the server and what it is named for.
type protoPhase struct {
	desc string
	acts []act
	// wire: compare what each side sent in this phase (not for
	// requests holding a timestamp or a port).
	wire bool
}

// mysqlPacket frames a MySQL packet.
func mysqlPacket(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// mysqlGreeting is a protocol-10 handshake from server version v.
func mysqlGreeting(v string) []byte {
	p := append([]byte{10}, v...)
	p = append(p, 0, 1, 0, 0, 0)
	p = append(p, "abcdefgh\x00"...)
	p = append(p, 0xff, 0xf7, 0x21, 0x02, 0x00, 0xff, 0x81, 0x15)
	p = append(p, make([]byte, 10)...)
	p = append(p, "ijklmnopqrst\x00mysql_native_password\x00"...)
	return mysqlPacket(0, p)
}

func mysqlError(seq byte, code uint16, msg string) []byte {
	return mysqlPacket(seq, append(binary.LittleEndian.AppendUint16([]byte{0xff}, code), msg...))
}

// pgMessage frames a PostgreSQL backend message.
func pgMessage(typ byte, body []byte) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{typ}, uint32(len(body)+4)), body...)
}

func pgAuth(code uint32, extra ...byte) []byte {
	return pgMessage('R', append(binary.BigEndian.AppendUint32(nil, code), extra...))
}

func pgError(fields ...string) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		b.WriteString(f + "\x00")
	}
	b.WriteByte(0)
	return pgMessage('E', b.Bytes())
}

// ldapBindResponse is an LDAPMessage with message ID 1 and a
// BindResponse of resultCode code.
func ldapBindResponse(code byte) []byte {
	return []byte{0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00}
}

// TestProtocolChecksMatchReference plays fake MySQL, PostgreSQL, SMTP
// and LDAP servers answering right and wrong to the reference and to our
// engine, and compares the sequence of server state-change lines
// (durations masked) and what the checks sent.
func TestProtocolChecksMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	smtpOK := acts(say("220 mx.test ESMTP ready\r\n"), hear(), say("250 mx.test\r\n"), hear(), say("221 2.0.0 Bye\r\n"))
	cases := []struct {
		desc   string
		option string
		phases []protoPhase // alternately failing and passing, starting with a failure
	}{
		{"smtpchk", "option smtpchk", []protoPhase{
			{"refused", nil, false},
			{"ok", smtpOK, true},
			{"banner not 2xx", acts(say("554 5.3.2 no service here\r\n")), true},
			{"ok again", smtpOK, true},
			{"not smtp", acts(say("hello there\r\n")), true},
			{"ok", smtpOK, true},
			{"helo refused", acts(say("220 ready\r\n"), hear(), say("501 5.5.4 bad helo\r\n")), true},
			{"ok", smtpOK, true},
			{"closes at once", []act{}, true},
			{"ok", smtpOK, true},
			{"quit refused", acts(say("220 ready\r\n"), hear(), say("250 hi\r\n"), hear(), say("500 what\r\n")), true},
			{"ok", smtpOK, true},
			{"silent", acts(hear()), false},
		}},
		{"smtpchk EHLO", "option smtpchk EHLO checker.test", []protoPhase{
			{"ehlo refused", acts(say("220 ready\r\n"), hear(), say("502 5.5.1 no ehlo\r\n")), true},
			{"multiline ehlo", acts(say("220 ready\r\n"), hear(), say("250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"), hear(), say("221 bye\r\n")), true},
		}},
		{"mysql-check", "option mysql-check", []protoPhase{
			{"host blocked", acts(sayB(mysqlError(0, 1130, "Host '127.0.0.1' is not allowed to connect"))), true},
			{"greeting", acts(sayB(mysqlGreeting("8.0.33-fake"))), true},
			{"truncated", acts(sayB(mysqlGreeting("8.0.33-fake")[:20])), true},
			{"greeting", acts(sayB(mysqlGreeting("8.0.33-fake"))), true},
			{"silent", acts(hear()), false},
		}},
		{"mysql-check user", "option mysql-check user haproxy", []protoPhase{
			{"access denied", acts(sayB(mysqlGreeting("5.7.42-log")), hear(),
				sayB(mysqlError(2, 1045, "#28000Access denied for user 'haproxy'@'localhost' (using password: NO)"))), true},
			{"logged in", acts(sayB(mysqlGreeting("5.7.42-log")), hear(), sayB(mysqlPacket(2, []byte{0, 0, 0, 2, 0, 0, 0}))), true},
			{"no answer to login", acts(sayB(mysqlGreeting("5.7.42-log")), hear()), true},
		}},
		{"mysql-check pre-41", "option mysql-check user bob pre-41", []protoPhase{
			{"refused", nil, false},
			{"logged in", acts(sayB(mysqlGreeting("4.0.1")), hear(), sayB(mysqlPacket(2, []byte{0, 0, 0, 2, 0}))), true},
		}},
		{"pgsql-check", "option pgsql-check user monitor", []protoPhase{
			{"pg_hba refuses", acts(hear(), sayB(pgError("SFATAL", "VFATAL", "C28000", "Mno pg_hba.conf entry for host"))), true},
			{"trust", acts(hear(), sayB(pgAuth(0))), true},
			{"unknown auth", acts(hear(), sayB(pgAuth(11))), true},
			{"md5", acts(hear(), sayB(pgAuth(5, 1, 2, 3, 4))), true},
			{"not postgres", acts(hear(), say("HTTP/1.0 400 Bad Request\r\n\r\n")), true},
			{"sasl", acts(hear(), sayB(pgAuth(10, []byte("SCRAM-SHA-256\x00\x00")...))), true},
			{"silent", acts(hear(), hear()), false},
		}},
		{"ldap-check", "option ldap-check", []protoPhase{
			{"invalid credentials", acts(hear(), sayB(ldapBindResponse(49))), true},
			{"bound", acts(hear(), sayB(ldapBindResponse(0))), true},
			{"not ldap", acts(hear(), say("HTTP/1.0 400 Bad Request\r\n\r\n")), true},
			{"bound", acts(hear(), sayB(ldapBindResponse(0))), true},
			{"silent", acts(hear(), hear()), false},
			{"bound", acts(hear(), sayB(ldapBindResponse(0))), true},
			{"wrong message id", acts(hear(), sayB([]byte{0x30, 0x0c, 0x02, 0x01, 0x02, 0x61, 0x07, 0x0a, 0x01, 0, 0x04, 0x00, 0x04, 0x00})), true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			backend := func(addr string) string {
				return fmt.Sprintf("defaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n\ttimeout check 500ms\n"+
					"backend be\n\t%s\n\tserver s1 %s check inter 100ms rise 1 fall 1\n", tc.option, addr)
			}
			type run struct {
				lines []string
				wire  [][]byte
			}
			play := func(start func(cfg string) func() []string) run {
				srv := newFake(t)
				srv.set(tc.phases[0].acts)
				lines := start(backend(srv.addr))
				var r run
				for i, ph := range tc.phases {
					if i > 0 {
						srv.set(ph.acts)
					}
					var got []string
					for range 300 {
						if got = lines(); len(got) > i {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
					if len(got) <= i {
						t.Fatalf("phase %q: no state change logged; lines so far %q", ph.desc, got)
					}
					r.lines = append(r.lines, normCheck(got[i]))
					if ph.wire {
						r.wire = append(r.wire, srv.received())
					}
				}
				return r
			}
			serverLines := func(out string) []string {
				var l []string
				for _, line := range strings.Split(out, "\n") {
					if _, msg, ok := strings.Cut(line, ") : "); ok && strings.HasPrefix(msg, "Server be/s1 is") {
						l = append(l, msg)
					}
				}
				return l
			}
			want := play(func(cfg string) func() []string {
				ref := difftest.StartReferenceConfig(t, bin, cfg)
				return func() []string { return serverLines(ref.Output()) }
			})
			got := play(func(cfg string) func() []string {
				c, diags := adapt(t, cfg)
				for _, d := range diags {
					t.Errorf("adapter: %v", d)
				}
				sink := &logSink{}
				startEngine(t, c, sink)
				return func() []string {
					sink.mu.Lock()
					defer sink.mu.Unlock()
					var l []string
					for _, x := range sink.lines {
						if _, msg, ok := strings.Cut(x, "] "); ok && strings.HasPrefix(msg, "Server be/s1 is") {
							l = append(l, msg)
						}
					}
					return l
				}
			})
			for i := range want.lines {
				if got.lines[i] != want.lines[i] {
					t.Errorf("phase %q:\nref:  %s\nours: %s", tc.phases[i].desc, want.lines[i], got.lines[i])
				}
			}
			for i := range want.wire {
				if !bytes.Equal(got.wire[i], want.wire[i]) {
					t.Errorf("wire %d:\nref:  %q\nours: %q", i, want.wire[i], got.wire[i])
				}
			}
		})
	}
}

package check

import (
	"testing"
)

// presets are the protocol checks whose reply rules the fuzzer feeds.
func presets(t testing.TB) map[string]Spec {
	my, err := MySQL("", "")
	if err != nil {
		t.Fatal(err)
	}
	myUser, err := MySQL("haproxy", MySQLPost80)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Spec{"smtp": SMTP(""), "pgsql": PgSQL("u"), "mysql": my, "mysql user": myUser,
		"ldap": LDAP(), "redis": Redis(), "ssl": SSLHello()}
}

func TestMySQLVersions(t *testing.T) {
	if _, err := MySQL("u", "post-99"); err == nil {
		t.Fatal("want an error for an unknown client version")
	}
}

// TestProtocolReplies runs replies through each preset's expect rules,
// as the checker would with the whole reply in and the stream ended.
func TestProtocolReplies(t *testing.T) {
	tests := []struct {
		desc, preset string
		reply        string
		want         Status
		code         int
	}{
		{"smtp banner 2xx", "smtp", "220 ok\r\n", L7OK, 0},
		{"smtp banner 4xx", "smtp", "421 busy\r\n", L7STS, 421},
		{"smtp garbage", "smtp", "SSH-2.0\r\n", L7RSP, 0},
		{"pgsql error", "pgsql", "E\x00\x00\x00\x10SFATAL\x00", L7RSP, 0},
		{"pgsql trust", "pgsql", "R\x00\x00\x00\x08\x00\x00\x00\x00", L7OK, 0},
		{"pgsql kerberos", "pgsql", "R\x00\x00\x00\x08\x00\x00\x00\x01", L7STS, 0},
		{"mysql error", "mysql", "\x05\x00\x00\x00\xff\x6a\x04ab", L7STS, 1130},
		{"mysql short", "mysql", "\x05\x00\x00\x00\x0a", L7RSP, 0},
		{"ldap ok", "ldap", "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00", L7OK, 0},
		{"ldap refused", "ldap", "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x31\x04\x00\x04\x00", L7STS, 49},
		{"ldap long length", "ldap", "\x30\x84\x00\x00\x00\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00", L7OK, 0},
	}
	specs := presets(t)
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			r := replyVerdict(specs[tt.preset], []byte(tt.reply))
			if r.Status != tt.want || r.Code != tt.code {
				t.Fatalf("got %+v, want status %d code %d", r, tt.want, tt.code)
			}
		})
	}
}

// replyVerdict evaluates the expect rules of spec that follow its
// first send (or the connect) on reply, with the stream ended.
func replyVerdict(spec Spec, reply []byte) Result {
	c := New(&spec, Target{}, nil)
	sent := false
	for _, st := range spec.Steps {
		switch st.Kind {
		case Send, SendBinary:
			if sent {
				return Result{Status: L7OK}
			}
			sent = true
		case ExpectStep:
			v, r := c.evalExpect(st.Expect, reply, true, 1)
			if v == Wait {
				return Result{Status: L7TOUT}
			}
			if v == Stop {
				return r
			}
		}
	}
	return Result{Status: L7OK}
}

// FuzzProtocolReplies feeds arbitrary replies to every preset's reply
// rules, complete or not: no panic, and a stream that ended never waits.
func FuzzProtocolReplies(f *testing.F) {
	for _, s := range []string{"220 ok\r\n", "R\x00\x00\x00\x08\x00\x00\x00\x00", "\x05\x00\x00\x00\xff\x6a\x04ab",
		"\x30\x84\x00\x00\x00\x0c\x02\x01\x01\x61\x07\x0a\x01\x00", "\x30\x82\xff", "+PONG\r\n", "\x16\x03\x01"} {
		f.Add([]byte(s))
	}
	specs := presets(f)
	f.Fuzz(func(t *testing.T, reply []byte) {
		for name, spec := range specs {
			c := New(&spec, Target{}, nil)
			for _, st := range spec.Steps {
				if st.Kind != ExpectStep {
					continue
				}
				if v, _ := c.evalExpect(st.Expect, reply, true, 1); v == Wait {
					t.Fatalf("%s: waits on an ended stream", name)
				}
				c.evalExpect(st.Expect, reply, false, 1)
			}
		}
	})
}

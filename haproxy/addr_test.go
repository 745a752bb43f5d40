package haproxy

import (
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	env := func(n string) (string, bool) {
		if n == "PORT" {
			return "8080", true
		}
		return "", false
	}
	l := &loader{opt: Options{Resolve: noNetwork}}
	l.opt.Build = DefaultBuild()
	l.opt.Build.Env = env
	for _, tc := range []struct {
		desc string
		in   string
		kind addrKind
		host string
		port int
		err  string
	}{
		{"bind any", ":80", addrBind, "", 80, ""},
		{"bind star", "*:443", addrBind, "*", 443, ""},
		{"bind v6 brackets", "[::1]:8080", addrBind, "::1", 8080, ""},
		{"bind v6 last colon", ":::8080", addrBind, "::", 8080, ""},
		{"bind env", "127.0.0.1:$PORT", addrBind, "127.0.0.1", 8080, ""},
		{"bind env braces", "127.0.0.1:${PORT}", addrBind, "127.0.0.1", 8080, ""},
		{"bind unset env", "*:$NOPE", addrBind, "", 0, "missing port specification in '*:$NOPE'"},
		{"bind no port", "127.0.0.1", addrBind, "", 0, "missing port specification in '127.0.0.1'"},
		{"bind bad char", ":x1", addrBind, "", 0, "invalid character 'x' in port number 'x1' in ':x1'"},
		{"bind range", "1.2.3.4:80-70", addrBind, "", 0, "invalid port range '80-70'"},
		{"bind zero", ":0", addrBind, "", 0, "invalid port '0'"},
		{"bind offset", ":+1", addrBind, "", 0, "port offset not permitted here in ':+1'"},
		{"bind hostname", "nohost:80", addrBind, "", 0, "invalid address: 'nohost' in 'nohost:80'"},
		{"bind localhost", "localhost:80", addrBind, "localhost", 80, ""},
		{"bind quic", "quic4@:443", addrBind, "", 0, "unsupported stream protocol for datagram family 2"},
		{"server no port", "10.0.0.1", addrServer, "10.0.0.1", 0, ""},
		{"server name kept", "db.local:5432", addrServer, "db.local", 5432, ""},
		{"server bad port", "10.0.0.1:8x", addrServer, "", 0, "invalid character 'x' in port number '8x'"},
		{"server big port", "10.0.0.1:70000", addrServer, "", 0, "invalid port '70000'"},
		{"server empty env", "$NOPE", addrServer, "", 0, "'$NOPE' resolves to an empty address"},
		{"log name", "nohost", addrLog, "", 0, "invalid address: 'nohost' in 'nohost'"},
	} {
		a, msg := l.parseAddr(tc.in, tc.kind)
		if tc.err != "" {
			if !strings.Contains(msg, tc.err) {
				t.Errorf("%s: error %q, want %q", tc.desc, msg, tc.err)
			}
			continue
		}
		if msg != "" || a.Host != tc.host || a.Port != tc.port {
			t.Errorf("%s: got %+v %q, want host %q port %d", tc.desc, a, msg, tc.host, tc.port)
		}
	}
}

func TestInitAddr(t *testing.T) {
	for _, tc := range []struct {
		list     string
		resolves bool
		want     int
	}{
		{"", true, addrResolved},
		{"", false, addrFailed},
		{"last,libc,none", false, addrDisabled},
		{"none", false, addrResolved},
		{"libc,10.0.0.1", false, addrResolved},
		{"last", false, addrFailed},
	} {
		if got := initAddr(tc.list, func() bool { return tc.resolves }); got != tc.want {
			t.Errorf("initAddr(%q, resolves=%v) = %d, want %d", tc.list, tc.resolves, got, tc.want)
		}
	}
}

func TestEnvExpand(t *testing.T) {
	env := func(n string) (string, bool) {
		return map[string]string{"A": "x", "B_1": "y"}[n], n == "A" || n == "B_1"
	}
	for in, want := range map[string]string{
		"$A:80": "x:80", "${A}:${B_1}": "x:y", "$NOPE:1": ":1", "${A-1}": "x-1}", "no dollar": "no dollar",
	} {
		if got := envExpand(in, env); got != want {
			t.Errorf("envExpand(%q) = %q, want %q", in, got, want)
		}
	}
}

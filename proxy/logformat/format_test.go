package logformat

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// sampleValues is one finished http request with every field set.
func sampleValues() *Values {
	accept := time.Date(2026, 11, 24, 19, 51, 44, 949_000_000, time.UTC)
	return &Values{
		Client: netip.MustParseAddrPort("127.0.0.1:53150"), Frontend: netip.MustParseAddrPort("127.0.0.1:37580"),
		BackendSrc: netip.MustParseAddrPort("127.0.0.1:33562"), Server: netip.MustParseAddrPort("127.0.0.1:37581"),
		Accept: accept, RequestStart: accept.Add(2 * time.Millisecond),
		FrontendName: "fe", BackendName: "be", ServerName: "s1",
		Th: 0, Ti: 2 * time.Millisecond, TR: 1 * time.Millisecond, Tw: 0, Tc: 1 * time.Millisecond, Tr: 3 * time.Millisecond,
		Ta: -1, Tt: 10 * time.Millisecond,
		BytesOut: 140, BytesIn: 103, Status: 200, Term: [2]byte{'-', '-'},
		ActConn: 1, FeConn: 1, Retries: 0,
		ReqCaptures: [][]byte{[]byte("127.0.0.1:37580"), []byte(`a"{|}#`)}, ResCaptures: [][]byte{[]byte("s1"), nil},
		Request:  []byte(`GET /p/a%20b?x=1&y="2" HTTP/1.1`),
		UniqueID: []byte("7F000001:CF9E"), PID: 29274, Hostname: "vm", ReqCount: 3, LogCount: 0,
	}
}

type renderCase struct{ desc, format, want string }

func checkRender(t *testing.T, tests []renderCase, v *Values) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			f, err := Compile(tc.format, Options{HTTP: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := string(f.Render(nil, v)); got != tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.format, got, tc.want)
			}
		})
	}
}

// TestRender: each variable with its modifiers, as the reference writes
// them (values checked against haproxy 2.6.12 by hand, see the
// differential test for the live comparison).
func TestRender(t *testing.T) {
	tests := []renderCase{
		{"addresses", "%ci:%cp %fi:%fp %bi:%bp %si:%sp", "127.0.0.1:53150 127.0.0.1:37580 127.0.0.1:33562 127.0.0.1:37581"},
		{"hex addresses", "%{+X}ci:%{+X}cp %{+Q,+X}si", "7F000001:CF9E 7F000001"},
		{"quoted address, port never", "%{+Q}ci %{+Q}cp", `"127.0.0.1" 53150`},
		{"dates", "%t|%tr|%trg|%T|%Ts|%ms|%{+X}Ts|%{+X}ms",
			"24/Nov/2026:19:51:44.949|24/Nov/2026:19:51:44.951|24/Nov/2026:19:51:44 +0000|24/Nov/2026:19:51:44 +0000|1795549904|949|6B05EAD0|3B5"},
		{"names", "%ft %f %b/%s %{+Q}b %{+Q}ft", `fe fe be/s1 "be" "fe"`},
		{"timers", "%Th/%Ti/%TR/%Tq/%Tw/%Tc/%Tr/%Ta/%Tt/%Tu/%Td", "0/2/1/3/0/1/3/8/10/8/3"},
		{"numbers ignore Q and X", "%{+Q,+X}B %{+Q}U %ST %{+X}ac/%fc/%bc/%sc/%rc %sq/%bq", "140 103 200 1/1/0/0/0 0/0"},
		{"termination", "%ts %tsc %CC %CS %{+Q}CC", `-- ---- - - ""`},
		{"captures", "%hr %hs|%hrl|%hsl|%{+Q}hr|%{+Q}hsl",
			`{127.0.0.1:37580|a#22#7B#7C#7D#23} {s1|}|127.0.0.1:37580 a#22#7B#7C#7D#23|s1 -|"{127.0.0.1:37580|a#22#7B#7C#7D#23}"|"s1" ""`},
		{"request", "%r|%{+Q}r|%HM|%HU|%HP|%HPO|%HQ|%HV|%{+Q}HM",
			`GET /p/a%20b?x=1&y=#222#22 HTTP/1.1|"GET /p/a%20b?x=1&y=#222#22 HTTP/1.1"|GET|/p/a%20b?x=1&y=#222#22|/p/a%20b|/p/a%20b|?x=1&y=#222#22|HTTP/1.1|"GET"`},
		{"unique id and process", "%ID %{+Q}ID %pid %{+X}pid %H %rt %{+X}rt %lc %sslc %sslv", `7F000001:CF9E "7F000001:CF9E" 29274 725A vm 3 0003 0 - -`},
		{"literals, spaces collapse, %%", "a  b   %%  [%ci]", "a b % [127.0.0.1]"},
		{"global options", "%{+Q}o%b %{-Q}b %s %{Q}b %{+Q,-Q}b", `"be" be "s1" "be" be`},
		{"samples", "%[src] %{+Q}[dst_port] %[be_name]x", `127.0.0.1 "37580" bex`},
		{"escape", "%{+E}[unique-id] %{+E,+Q}b", `7F000001:CF9E "be"`},
	}
	v := sampleValues()
	checkRender(t, tests, v)
}

// TestSeparators: a run of spaces is one separator, dropped at the start
// and after a capture list that wrote nothing (reference: "  %ci %hr  %hs
// %ST %hrl|%ID| x  " gives "127.0.0.1 503 |-| x ").
func TestSeparators(t *testing.T) {
	v := sampleValues()
	v.ReqCaptures, v.ResCaptures, v.UniqueID = nil, nil, nil
	f, err := Compile("  %ci %hr  %hs %ST %hrl|%ID| x  ", Options{HTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.Render(nil, v)), "127.0.0.1 200 |-| x "; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRenderNoStream(t *testing.T) {
	tests := []renderCase{
		{"httplog", HTTPLog, `127.0.0.1:53150 [24/Nov/2026:19:51:44.951] fe be/s1 1/0/1/3/8 200 140 - - ---- 1/1/0/0/0 0/0 "GET /p/a%20b?x=1&y=#222#22 HTTP/1.1"`},
		{"clf", HTTPLogCLF, `127.0.0.1 - - [24/Nov/2026:19:51:44 +0000] "GET /p/a%20b?x=1&y=#222#22 HTTP/1.1" 200 140 "" "" 53150 949 "fe" "be" "s1" 1 0 1 3 8 ---- 1 1 0 0 0 0 0 "" "" `}, // the separator before the empty %hrl stays
	}
	v := sampleValues()
	v.ReqCaptures, v.ResCaptures = nil, nil
	checkRender(t, tests, v)
}

// TestRenderAbsent: what a refused request (no stream, no server) logs.
func TestRenderAbsent(t *testing.T) {
	v := &Values{Client: netip.MustParseAddrPort("127.0.0.1:1"), FrontendName: "fe", Status: 400,
		Th: 0, Ti: 0, TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: -1, Term: [2]byte{'C', 'R'},
		Request: []byte("<BADREQ>"), NoStream: true, ReqCaptures: [][]byte{nil}}
	f, err := Compile("%bi:%bp %si %b/%s %TR/%Tq/%Tw/%Tc/%Tr/%Ta/%Tt/%Td %tsc %hr|%hrl|%r %HM %HQ %ID %{+Q}ID %{+Q}bi", Options{HTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `-:- - fe/<NOSRV> -1/-1/-1/-1/-1/0/0/-1 CR-- ||<BADREQ> <BADREQ> <BADREQ> - "" ""`
	if got := string(f.Render(nil, v)); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// TestEscapeSample: +E backslash-escapes '"', '\' and ']' of a sample.
func TestEscapeSample(t *testing.T) {
	f, err := Compile(`%{+E,+Q}[x] %[x]`, Options{Sample: func(string) (Sample, error) {
		return func(dst []byte, v *Values) ([]byte, bool) { return append(dst, `a"b\c]d`...), true }, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.Render(nil, &Values{})), `"a\"b\\c\]d" a"b\c]d`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestCompileErrors: the reference's messages (haproxy 2.6.12,
// "failed to parse log-format : " stripped).
func TestCompileErrors(t *testing.T) {
	tests := []struct {
		desc, format string
		http         bool
		want         string
	}{
		{"unknown variable", "%ci %zz", true, "no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'."},
		{"digits belong to the name", "[%Tw2]", true, "no such format variable 'Tw2'. If you wanted to emit the '%' character verbatim, you need to use '%%'."},
		{"unterminated flags", "%{+Q", true, "truncated line after '+Q'."},
		{"empty flags", "%{", true, "truncated line after ''."},
		{"lone percent", "abc %", true, "truncated line after '%'."},
		{"percent at end", "%cp%", true, "truncated line after '%'."},
		{"flags without a variable", "%{+Q}", true, "parse argument modifier without variable name near '%{+Q}'."},
		{"flags then space", "%{+Q} x", true, "parse argument modifier without variable name near '%{+Q}'."},
		{"flags then percent", "%{+Q}%%", true, "parse argument modifier without variable name near '%{+Q}'."},
		{"not a name", "%ci.x %ci-y %1", true, "unexpected variable name near '1' at position 13 line : '%ci.x %ci-y %1'. Maybe you want to write a single '%', use the syntax '%%'."},
		{"http variable in tcp", "%r %ST", false, "format variable 'r' is reserved for HTTP mode."},
		{"Ti in tcp", "%Ti", false, "format variable 'Ti' is reserved for HTTP mode."},
		{"unclosed sample", "%[src", true, "missing ']' after 'src'."},
		{"sample then blank", "%[src x", true, "expected ']' after 'src', but found ' '."},
		{"converter then blank", "%[src,dst_port x]", true, "expected ']' after 'src,dst_port', but found ' '."},
		{"empty sample", "%[]", true, "failed to parse sample expression <]> : missing fetch method."},
		{"empty sample at end", "%{+Q}[", true, "failed to parse sample expression <> : missing fetch method."},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			// Any expression compiles, so the scanner's own errors show.
			_, err := Compile(tc.format, Options{HTTP: tc.http, Sample: func(string) (Sample, error) { return nil, nil }})
			if err == nil || err.Error() != tc.want || !errors.Is(err, ErrSyntax) {
				t.Errorf("%q: got %v\nwant %s", tc.format, err, tc.want)
			}
		})
	}
}

// TestCompileSampleError: the compiler's message follows the reference's
// prefix with the rest of the line.
func TestCompileSampleError(t *testing.T) {
	_, err := Compile("%[nosuch] x", Options{Sample: func(e string) (Sample, error) {
		return nil, errors.New("unknown fetch method '" + e + "'.")
	}})
	if want := "failed to parse sample expression <nosuch] x> : unknown fetch method 'nosuch'."; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var us *UnsupportedSample
	if _, err := Compile("%[req.hdr(host)]", Options{HTTP: true}); !errors.As(err, &us) && !strings.Contains(err.Error(), "req.hdr(host)") {
		t.Errorf("basic samples accepted req.hdr: %v", err)
	}
}

// TestValid: formats the reference accepts compile.
func TestValid(t *testing.T) {
	for _, s := range []string{"", "%{+Z}ci", "%{Q}ci", "%ci_x", "%[src,dst]", "%{+Q}[src]", "a%%b",
		TCPLog, HTTPLog, HTTPLogCLF} {
		if _, err := Compile(s, Options{HTTP: true, Sample: func(string) (Sample, error) { return nil, nil }}); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// TestRuleValueQuotes: in rule values the reference quotes variables but
// not samples (set-header X "%{+Q}ci %{+Q}[src]" sends "127.0.0.1" 127.0.0.1).
func TestRuleValueQuotes(t *testing.T) {
	f, err := Compile("%{+Q}ci %{+Q}[src] %{+Q}f", Options{HTTP: true, RuleValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.Render(nil, sampleValues())), `"127.0.0.1" 127.0.0.1 "fe"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

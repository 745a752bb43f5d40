package haproxy

import (
	"reflect"
	"testing"
)

func TestParseMatch(t *testing.T) {
	for _, tc := range []struct {
		desc string
		expr []string
		want Match
	}{
		{"plain", []string{"path_beg", "/api", "/v2"}, Match{Fetch: "path_beg", Values: []string{"/api", "/v2"}}},
		{"flags", []string{"hdr(host)", "-i", "-m", "dom", "example.com"},
			Match{Fetch: "hdr", FetchArgs: "host", IgnoreCase: true, Method: "dom", Values: []string{"example.com"}}},
		{"file", []string{"src", "-f", "/etc/allow.lst", "-n"}, Match{Fetch: "src", Files: []string{"/etc/allow.lst"}, NoDNS: true}},
		{"converters", []string{"req.hdr(host),lower,map_str(/m,def)", "-m", "found"},
			Match{Fetch: "req.hdr", FetchArgs: "host", Converters: []string{"lower", "map_str(/m,def)"}, Method: "found"}},
		{"end of flags", []string{"path", "--", "-x"}, Match{Fetch: "path", Values: []string{"-x"}}},
		{"negative number", []string{"dst_port", "-1"}, Match{Fetch: "dst_port", Values: []string{"-1"}}},
	} {
		if got := parseMatch(tc.expr); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.desc, got, tc.want)
		}
	}
}

func TestParseCondition(t *testing.T) {
	c := parseCondition([]string{"unless", "a", "!b", "||", "!", "c", "or", "!{", "src", "10.0.0.0/8", "}"})
	want := &Condition{Unless: true, Groups: [][]CondTerm{
		{{ACL: "a"}, {Negate: true, ACL: "b"}},
		{{Negate: true, ACL: "c"}},
		{{Negate: true, Anonymous: &Match{Fetch: "src", Values: []string{"10.0.0.0/8"}}}},
	}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if parseCondition([]string{"deny"}) != nil {
		t.Error("a rule without if/unless has no condition")
	}
}

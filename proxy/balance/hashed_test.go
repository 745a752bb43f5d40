package balance

import "testing"

func TestKeyExtraction(t *testing.T) {
	tests := []struct {
		desc string
		got  string
		want string
	}{
		{"domain two labels", string(domainKey("www.example.com")), "example"},
		{"domain one dot", string(domainKey("example.com")), "example"},
		{"domain no dot", string(domainKey("localhost")), "localhost"},
		{"uri stops at query", string(uriKey(&Config{}, "/a/b?x=1")), "/a/b"},
		{"uri whole", string(uriKey(&Config{URIWhole: true}, "/a/b?x=1")), "/a/b?x=1"},
		{"uri depth", string(uriKey(&Config{URIDepth: 1}, "/a/b/c")), "/a"},
		{"uri len", string(uriKey(&Config{URILen: 3}, "/abcdef")), "/ab"},
		{"uri path-only", string(uriKey(&Config{URIPathOnly: true}, "http://h/p/q?x")), "/p/q"},
		{"uri path-only whole", string(uriKey(&Config{URIPathOnly: true, URIWhole: true}, "http://h/p/q?x")), "/p/q?x"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q want %q", tt.desc, tt.got, tt.want)
		}
	}
	for _, c := range []struct{ uri, name, want string }{
		{"/p?a=1&user=bob&z=2", "user", "bob"},
		{"/p?user=", "user", ""},
		{"/p?username=x", "user", ""},
	} {
		v, ok := paramValue(c.uri, c.name)
		if string(v) != c.want || (c.want != "" && !ok) {
			t.Errorf("%s %s: got %q %v", c.uri, c.name, v, ok)
		}
	}
}

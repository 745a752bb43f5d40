package proxy

import (
	"slices"
	"strings"
	"testing"

	"fulcrum/proxy/http1"
)

// TestNextListValue: a comma splits a header list except inside a quoted
// string (with its backslash escapes); values are trimmed.
func TestNextListValue(t *testing.T) {
	for _, tc := range []struct {
		desc, in string
		want     []string
	}{
		{"one", "max-age=60", []string{"max-age=60"}},
		{"blanks", " private ,\tmax-age=0 ", []string{"private", "max-age=0"}},
		{"empty values", ",,a,", []string{"", "", "a", ""}},
		{"quoted comma", `no-cache="set-cookie, foo", public`, []string{`no-cache="set-cookie, foo"`, "public"}},
		{"escaped quote", `x="a\",b", c`, []string{`x="a\",b"`, "c"}},
		{"unterminated quote", `x="a, b`, []string{`x="a, b`}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var got []string
			for rest := []byte(tc.in); rest != nil; {
				var v []byte
				v, rest = nextListValue(rest)
				got = append(got, string(v))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// parseExchange parses a request and a response head for the
// cacheability tests.
func parseExchange(t testing.TB, req, resp string) (*http1.Request, *http1.Response, bool) {
	opts := http1.DefaultOptions()
	var rq http1.Request
	var rs http1.Response
	if _, err := rq.Parse([]byte(req), &opts); err != nil {
		return nil, nil, false
	}
	if _, err := rs.Parse([]byte(resp), &opts, rq.Method); err != nil {
		return nil, nil, false
	}
	return &rq, &rs, true
}

// TestResponseCacheability: the two verdicts separately (the
// differential test sees only their conjunction): no-cache="set-cookie"
// keeps the response cacheable (a `cookie ... nocache` insertion then
// makes it private) but not its cookies.
func TestResponseCacheability(t *testing.T) {
	for _, tc := range []struct {
		desc, method, headers string
		want                  cacheability
	}{
		{"fresh", "GET", "Cache-Control: max-age=60\r\n", cacheability{true, true}},
		{"no freshness", "GET", "", cacheability{false, true}},
		{"cookies not cacheable", "GET", "Cache-Control: no-cache=\"set-cookie\", max-age=60\r\n", cacheability{true, false}},
		{"POST", "POST", "Cache-Control: max-age=60\r\n", cacheability{}},
		{"POST made public", "POST", "Cache-Control: public, max-age=60\r\n", cacheability{true, true}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			req, resp, ok := parseExchange(t, tc.method+" / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
				"HTTP/1.1 200 OK\r\n"+tc.headers+"Content-Length: 0\r\n\r\n")
			if !ok {
				t.Fatal("unparsable")
			}
			if got := responseCacheability(req, resp); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzResponseCacheability: any response head is judged without panic,
// and its list values are pieces of the header.
func FuzzResponseCacheability(f *testing.F) {
	f.Add("GET", "Cache-Control: public, max-age=60\r\nSet-Cookie: a=b\r\n")
	f.Add("HEAD", "Cache-Control: x=\"a,\\\"b\", no-cache=\"set-cookie\r\nPragma: no-cache\r\n")
	f.Add("POST", "Expires: 0\r\nETag: x\r\nVary: *\r\n")
	f.Fuzz(func(t *testing.T, method, headers string) {
		req, resp, ok := parseExchange(t, method+" / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n"+headers+"\r\n")
		if !ok {
			return
		}
		responseCacheability(req, resp)
		setsCookie(resp.Headers)
		for _, h := range resp.Headers {
			for rest := h.Value; rest != nil; {
				var v []byte
				v, rest = nextListValue(rest)
				if !strings.Contains(string(h.Value), string(v)) {
					t.Fatalf("value %q is not in %q", v, h.Value)
				}
			}
		}
	})
}

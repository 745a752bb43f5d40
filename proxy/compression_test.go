package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"fulcrum/proxy/http1"
	"fulcrum/proxy/httpcomp"
	"fulcrum/proxy/internal/difftest"
)

func TestParseQ(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"1", 1000}, {"1.0", 1000}, {"0", 0}, {"0.5", 500}, {"0.125", 125}, {"0.1239", 123}, {"2", 1000},
		{"", 1000}, {"x", 1000}, {"0.", 0}, {"0.x", 0}, {"0.05", 50}} {
		if got := parseQ([]byte(tc.in)); got != tc.want {
			t.Errorf("parseQ(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestPickAlgo covers the parsing corners the differential test does
// not reach. The algorithms are in the order `compression algo gzip
// deflate` leaves them.
func TestPickAlgo(t *testing.T) {
	algos := []httpcomp.Algo{httpcomp.Deflate, httpcomp.Gzip}
	for _, tc := range []struct {
		desc, ae string
		want     string // "" for none
	}{
		{"empty elements", " , ,gzip", "gzip"},
		{"parameter without q", "gzip;level=9", "gzip"},
		{"q of the first parameter only", "deflate;q=0.1;q=0.9, gzip;q=0.2", "gzip"},
		{"bare q", "gzip;q", "gzip"},
		{"wildcard takes the first", "*", "deflate"},
		{"wildcard with a lower q", "gzip;q=0.9, *;q=0.1", "gzip"},
		{"nothing known", "br, zstd", ""},
		{"token with junk after", "gzip/x", "gzip"},
	} {
		hs := http1.Headers{{Name: []byte("Accept-Encoding"), Value: []byte(tc.ae)}}
		a, ok := pickAlgo(hs, algos)
		got := ""
		if ok {
			got = a.Name()
		}
		if got != tc.want {
			t.Errorf("%s: %q picks %q, want %q", tc.desc, tc.ae, got, tc.want)
		}
	}
}

// FuzzAcceptEncoding: no request header makes the choice of algorithm
// panic.
func FuzzAcceptEncoding(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0.5, deflate", "*;q=0", ";;;q=", "gzip ; q=1.0", "q=",
		"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)", "Mozilla/4.0 (compatible; MSIE 6"} {
		f.Add(s)
	}
	algos := []httpcomp.Algo{httpcomp.Identity, httpcomp.RawDeflate, httpcomp.Gzip}
	f.Fuzz(func(t *testing.T, s string) {
		hs := http1.Headers{{Name: []byte("accept-encoding"), Value: []byte(s)}, {Name: []byte("user-agent"), Value: []byte(s)}}
		pickAlgo(hs, algos)
		oldBrowser(hs)
		validETag([]byte(s))
		hasListElem([]byte(s), "no-transform")
	})
}

// compListen is a listen section compressing with gzip, with extra
// lines, in front of server, on a free port.
func compListen(tb testing.TB, server, extra string) string {
	return strings.NewReplacer("{PORT}", strconv.Itoa(difftest.FreePort(tb)), "{SERVER}", server, "{EXTRA}", extra).Replace(`defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
listen fe
	bind 127.0.0.1:{PORT}
	compression algo gzip
	{EXTRA}
	server s1 {SERVER}
`)
}

// TestCompressionAfterRulesEmptyETag: a response rule may leave an empty
// ETag after the decision to compress; the head is still rewritten
// without trouble.
func TestCompressionAfterRulesEmptyETag(t *testing.T) {
	be := newCompBackend(t, map[string]string{"/e": compResp("200 OK", compHTML+"ETag: \"v\"\r\n", compBody, "cl")})
	e, _ := startOurs(t, compListen(t, be.addr, `http-response set-header ETag "%[res.hdr(x-none)]"`), plainLine)
	a := compExchange(feAddr(e, "fe"), "GET /e HTTP/1.1", "Accept-Encoding: gzip\r\n")
	if a.err != "" || a.body != compBody || !strings.Contains(a.headers, "content-encoding: gzip") {
		t.Fatalf("answer %+v", a)
	}
}

// BenchmarkHTTPCompression serves kept-alive GETs of a 20 KB page through
// a proxy with compression configured: "plain" requests do not ask for
// it (the path every request without Accept-Encoding takes), "gzip" ones
// are compressed.
func BenchmarkHTTPCompression(b *testing.B) {
	be := newCompBackend(b, map[string]string{"/p": compResp("200 OK", compHTML, compBody, "cl")})
	e, _ := startOurs(b, compListen(b, be.addr, ""), func(*Record) (string, bool) { return "", false })
	for _, ae := range []string{"plain", "gzip"} {
		b.Run(ae, func(b *testing.B) {
			c, err := net.Dial("tcp", feAddr(e, "fe"))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			req := "GET /p HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + ae + "\r\n\r\n"
			b.ReportAllocs()
			for b.Loop() {
				io.WriteString(c, req)
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

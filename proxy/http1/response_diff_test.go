package http1

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// responseTable is the malformed-response suite: what a broken or hostile
// server may send. The live reference decides each answer.
func responseTable() []diffCase {
	ok := "Content-Length: 2\r\n\r\nok"
	hdrs := func(n int) string { return strings.Repeat("X: a\r\n", n) }
	return []diffCase{
		{"valid", "HTTP/1.1 200 OK\r\n" + ok},
		{"no reason", "HTTP/1.1 200\r\n" + ok},
		{"empty reason", "HTTP/1.1 200 \r\n" + ok},
		{"odd reason", "HTTP/1.1 200 \x01\x7f\x80 ok\r\n" + ok},
		{"tab before reason", "HTTP/1.1 200\tOK\r\n" + ok},
		{"tab after version", "HTTP/1.1\t200 OK\r\n" + ok},
		{"two spaces after version", "HTTP/1.1  200 OK\r\n" + ok},
		{"404", "HTTP/1.1 404 Not Found\r\n" + ok},
		{"two-digit status", "HTTP/1.1 20 OK\r\n" + ok},
		{"four-digit status", "HTTP/1.1 2000 OK\r\n" + ok},
		{"letters in status", "HTTP/1.1 2x0 OK\r\n" + ok},
		{"status 099", "HTTP/1.1 099 Low\r\n" + ok},
		{"status 600", "HTTP/1.1 600 High\r\n" + ok},
		{"status 999", "HTTP/1.1 999 High\r\n" + ok},
		{"version 1.0", "HTTP/1.0 200 OK\r\n" + ok},
		{"version 2.0", "HTTP/2.0 200 OK\r\n" + ok},
		{"version 1.10", "HTTP/1.10 200 OK\r\n" + ok},
		{"version 11", "HTTP/11 200 OK\r\n" + ok},
		{"lowercase version", "http/1.1 200 OK\r\n" + ok},
		{"ICY", "ICY 200 OK\r\n" + ok},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"},
		{"CR inside value", "HTTP/1.1 200 OK\r\nX: a\rb\r\n" + ok},
		{"space in header name", "HTTP/1.1 200 OK\r\nX Y: a\r\n" + ok},
		{"space before colon", "HTTP/1.1 200 OK\r\nX : a\r\n" + ok},
		{"paren in header name", "HTTP/1.1 200 OK\r\nX(Y: a\r\n" + ok},
		{"0x80 in header name", "HTTP/1.1 200 OK\r\nX\x80Y: a\r\n" + ok},
		{"no colon", "HTTP/1.1 200 OK\r\nXY\r\n" + ok},
		{"empty name", "HTTP/1.1 200 OK\r\n: a\r\n" + ok},
		{"NUL in value", "HTTP/1.1 200 OK\r\nX: a\x00b\r\n" + ok},
		{"SOH in value", "HTTP/1.1 200 OK\r\nX: a\x01b\r\n" + ok},
		{"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n" + ok},
		{"fold first", "HTTP/1.1 200 OK\r\n b\r\n" + ok},
		{"CL duplicate equal", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + ok},
		{"CL duplicate different", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" + ok},
		{"CL list equal", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"},
		{"CL invalid", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nok"},
		{"CL negative", "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok"},
		{"CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{"gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{"chunked, gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nok"},
		{"TE gzip until close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok"},
		{"TE empty", "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\nok"},
		{"until close", "HTTP/1.1 200 OK\r\n\r\nok"},
		{"1.0 until close", "HTTP/1.0 200 OK\r\n\r\nok"},
		{"204 with length", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"},
		{"304", "HTTP/1.1 304 Not Modified\r\n\r\n"},
		{"100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n" + ok},
		{"103 then 200", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n" + ok},
		{"100 headers", "HTTP/1.1 200 OK\r\n" + hdrs(99) + ok},
		{"101 headers", "HTTP/1.1 200 OK\r\n" + hdrs(100) + ok},
		{"16k header", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 16000) + "\r\n" + ok},
		{"garbage", "garbage\r\n\r\n"},
		{"empty", ""},
	}
}

// serveCanned answers "GET /<i>" with cases[i] and closes, which ends an
// until-close body.
func serveCanned(cases []diffCase) func(net.Listener) {
	return func(l net.Listener) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				for { // the rest of the head
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" || l == "\n" {
						break
					}
				}
				f := strings.Fields(line)
				if len(f) < 2 {
					return
				}
				i, err := strconv.Atoi(strings.TrimPrefix(f[1], "/"))
				if err != nil || i < 0 || i >= len(cases) {
					return
				}
				c.Write([]byte(cases[i].raw))
			}()
		}
	}
}

// firstStatus sends one request and returns the status of the first final
// response the reference relays, read leniently: the reference forwards
// odd status lines (a 2-digit status, a relaxed version) as they came.
func (p *refProxy) firstStatus(raw []byte) ([]int, error) {
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // a safety net, not a threshold
	if _, err := c.Write(raw); err != nil {
		return nil, err
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return nil, err
	}
	for len(out) > 0 {
		line, _, _ := strings.Cut(string(out), "\n")
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("no status line in %q", out)
		}
		st, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("status line %q", line)
		}
		if len(f[1]) == 3 && st >= 100 && st < 200 && st != 101 {
			_, rest, _ := strings.Cut(string(out), "\r\n\r\n")
			out = []byte(rest)
			continue
		}
		return []int{st}, nil
	}
	return nil, nil
}

// responseVerdict is what a client of ours sees for a server's bytes: the
// first final response's status, or 502 when the head is refused.
func responseVerdict(raw []byte, opts *Options) int {
	var r Response
	for {
		n, err := r.Parse(raw, opts, []byte("GET"))
		if err != nil {
			return 502 // refused or cut short: the proxy answers 502
		}
		if !r.Interim() {
			return r.Status
		}
		raw = raw[n:]
	}
}

// responseBoundaryCases put response heads at our size limit and one byte
// over it.
func responseBoundaryCases(t *testing.T, opts *Options) []diffCase {
	return limitCases(t, []sizeShape{
		{"long header", func(n int) string {
			return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: " + strings.Repeat("a", n) + "\r\n\r\nok"
		}},
		{"long reason", func(n int) string {
			return "HTTP/1.1 200 " + strings.Repeat("a", n) + "\r\nContent-Length: 2\r\n\r\nok"
		}},
	}, func(raw string) bool { return responseVerdict([]byte(raw), opts) == 200 })
}

func runResponseDifferential(t *testing.T, defaults string, opts *Options) {
	cases := append(responseTable(), responseBoundaryCases(t, opts)...)
	ref := startReferenceWith(t, "", defaults, serveCanned(cases))
	got, errs := exchangeAll(len(cases), func(i int) ([]int, error) {
		return ref.firstStatus([]byte(fmt.Sprintf("GET /%d HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", i)))
	})
	agree := 0
	for i, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatalf("exchange with the reference: %v", errs[i])
			}
			ours := responseVerdict([]byte(c.raw), opts)
			if len(got[i]) != 1 || got[i][0] != ours {
				t.Errorf("reference answered %v, ours would answer [%d]\nresponse: %q", got[i], ours, abbreviate(c.raw))
				return
			}
			agree++
		})
	}
	t.Logf("%d of %d response cases agree with the reference [%s]", agree, len(cases), defaults)
}

func TestDifferentialResponses(t *testing.T) {
	opts := DefaultOptions()
	runResponseDifferential(t, "", &opts)
}

func TestDifferentialResponsesAcceptInvalid(t *testing.T) {
	opts := DefaultOptions()
	opts.AcceptInvalid = true
	runResponseDifferential(t, "option accept-invalid-http-response", &opts)
}

package proxy

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// compLogFormat logs what compression changes: the status, %B, and the
// compression fetches.
const compLogFormat = "C^%ST^%B^%[res.comp]^%[res.comp_algo]"

// compConfigs are the configurations of the compression comparisons;
// each gets the frontend's {PORT} and the {SERVER}'s address.
var compConfigs = map[string]string{
	// A frontend's settings, its backend having none; the algorithm is
	// chosen after the request rules of both, response rules see the
	// decision (res.comp) and not yet the rewritten head.
	"frontend": `defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
	log stdout format raw local0
frontend fe
	bind 127.0.0.1:{PORT}
	log-format "` + compLogFormat + `"
	compression algo gzip deflate
	compression type text/html text/plain
	http-response set-header X-Rule "%[res.comp]"
	http-response set-header Content-Type image/png if { res.hdr(x-retype) -m found }
	http-after-response set-header X-After "%[res.hdr(content-encoding)]"
	http-request set-header Accept-Encoding gzip if { req.hdr(x-set) -m found }
	default_backend be
backend be
	http-request del-header Accept-Encoding if { req.hdr(x-del) -m found }
	server s1 {SERVER}
`,
	// raw-deflate and identity, offloaded, in a listen section.
	"listen": `defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
	log stdout format raw local0
listen fe
	bind 127.0.0.1:{PORT}
	log-format "` + compLogFormat + `"
	compression algo raw-deflate identity
	compression offload
	server s1 {SERVER}
`,
	// A frontend adds to its defaults' lists; its backend, under other
	// defaults, has only types (the frontend's algorithms apply) and
	// offload.
	"merged": `global
	tune.comp.maxlevel 9
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
	log stdout format raw local0
	compression algo deflate
	compression type text/plain
frontend fe
	bind 127.0.0.1:{PORT}
	log-format "` + compLogFormat + `"
	compression algo gzip
	compression type text/html
	default_backend be
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
backend be
	compression type text/css
	compression offload
	server s1 {SERVER}
`,
}

// compCase is one exchange: the request's line and extra headers, and
// the server's raw response.
type compCase struct {
	desc, cfg  string
	line, hdrs string
	response   string
}

// compResponse builds a response: framing "cl" (Content-Length),
// "chunked" (body in two chunks) or "close" (until the server closes).
func compResp(status, hdrs, body, framing string) string {
	head := "HTTP/1.1 " + status + "\r\n" + hdrs
	switch framing {
	case "chunked":
		var b strings.Builder
		b.WriteString(head + "Transfer-Encoding: chunked\r\n\r\n")
		for half := (len(body) + 1) / 2; body != ""; half = len(body) {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", half, body[:half])
			body = body[half:]
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	case "close":
		return head + "Connection: close\r\n\r\n" + body
	}
	return head + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

const compHTML = "Content-Type: text/html\r\n"

// compBody is compressible and long enough to span several reads.
var compBody = strings.Repeat("<p>Fulcrum compresses like the reference does.</p>\n", 400)

func compCases() []compCase {
	gz := "Accept-Encoding: gzip\r\n"
	get := "GET /x HTTP/1.1"
	ok := func(hdrs, body, framing string) string { return compResp("200 OK", hdrs, body, framing) }
	plain := ok(compHTML, compBody, "cl")
	var cs []compCase
	add := func(cfg, desc, line, hdrs, response string) {
		cs = append(cs, compCase{desc: desc, cfg: cfg, line: line, hdrs: hdrs, response: response})
	}
	for _, ae := range []struct{ desc, hdrs string }{
		{"gzip", gz}, {"none", ""}, {"deflate", "Accept-Encoding: deflate\r\n"}, {"br only", "Accept-Encoding: br\r\n"},
		{"wildcard", "Accept-Encoding: *\r\n"}, {"identity", "Accept-Encoding: identity\r\n"},
		{"q=0", "Accept-Encoding: gzip;q=0\r\n"}, {"higher q wins", "Accept-Encoding: gzip;q=0.5, deflate\r\n"},
		{"first of equals", "Accept-Encoding: deflate, gzip\r\n"}, {"upper case", "Accept-Encoding: GZIP\r\n"},
		{"x-gzip", "Accept-Encoding: x-gzip\r\n"}, {"spaced q", "Accept-Encoding: gzip ; q=1.0\r\n"},
		{"q after a parameter", "Accept-Encoding: gzip;level=1;q=0.3, deflate;q=0.2\r\n"},
		{"two headers", "Accept-Encoding: br\r\nAccept-Encoding: deflate\r\n"}, {"wildcard q=0", "Accept-Encoding: *;q=0\r\n"},
		{"old browser", gz + "User-Agent: Mozilla/4.0 (X11)\r\n"},
		{"MSIE 6", gz + "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)\r\n"},
		{"MSIE 6 SV1", gz + "User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)\r\n"},
		{"MSIE 7", gz + "User-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)\r\n"},
	} {
		for _, cfg := range []string{"frontend", "listen", "merged"} {
			add(cfg, "accept-encoding "+ae.desc, get, ae.hdrs, plain)
		}
	}
	for _, r := range []struct{ desc, response string }{
		{"201", compResp("201 Created", compHTML, compBody, "cl")},
		{"203", compResp("203 Non-Authoritative", compHTML, compBody, "cl")},
		{"206", compResp("206 Partial Content", compHTML, compBody, "cl")},
		{"404", compResp("404 Not Found", compHTML, compBody, "cl")},
		{"503", compResp("503 Unavailable", compHTML, compBody, "cl")},
		{"304", "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n"},
		{"HTTP/1.0 response", strings.Replace(plain, "HTTP/1.1", "HTTP/1.0", 1)},
		{"already encoded", ok(compHTML+"Content-Encoding: br\r\n", compBody, "cl")},
		{"no-transform", ok(compHTML+"Cache-Control: public, no-transform\r\n", compBody, "cl")},
		{"no-transform lookalike", ok(compHTML+"Cache-Control: no-transformer\r\n", compBody, "cl")},
		{"charset parameter", ok("Content-Type: text/html; charset=utf-8\r\n", compBody, "cl")},
		{"type case", ok("Content-Type: TEXT/HTML\r\n", compBody, "cl")},
		{"type prefix", ok("Content-Type: text/htmlish\r\n", compBody, "cl")},
		{"other type", ok("Content-Type: image/png\r\n", compBody, "cl")},
		{"css type", ok("Content-Type: text/css\r\n", compBody, "cl")},
		{"multipart", ok("Content-Type: multipart/mixed\r\n", compBody, "cl")},
		{"no type", ok("", compBody, "cl")},
		{"empty body", ok(compHTML, "", "cl")},
		{"empty chunked body", ok(compHTML, "", "chunked")},
		{"small body", ok(compHTML, "hi", "cl")},
		{"chunked", ok(compHTML, compBody, "chunked")},
		{"chunked with trailers", strings.TrimSuffix(ok(compHTML, compBody, "chunked"), "\r\n") + "X-Sum: 1\r\n\r\n"},
		{"close-delimited", ok(compHTML, compBody, "close")},
		{"strong etag", ok(compHTML+"ETag: \"v1\"\r\n", compBody, "cl")},
		{"weak etag", ok(compHTML+"ETag: W/\"v1\"\r\n", compBody, "cl")},
		{"invalid etag", ok(compHTML+"ETag: v1\r\n", compBody, "cl")},
		{"two etags", ok(compHTML+"ETag: \"v1\"\r\nETag: \"v2\"\r\n", compBody, "cl")},
		{"vary already", ok(compHTML+"Vary: Origin\r\n", compBody, "cl")},
		{"type changed by a rule", ok(compHTML+"X-Retype: 1\r\n", compBody, "cl")},
	} {
		for _, cfg := range []string{"frontend", "listen", "merged"} {
			add(cfg, r.desc, get, gz, r.response)
		}
	}
	for _, cfg := range []string{"frontend", "merged"} {
		add(cfg, "HTTP/1.0 request", "GET /x HTTP/1.0", gz, plain)
		add(cfg, "accept-encoding set by a rule", get, "X-Set: 1\r\n", plain)
		add(cfg, "accept-encoding removed by a backend rule", get, gz+"X-Del: 1\r\n", plain)
		add(cfg, "HEAD", "HEAD /x HTTP/1.1", gz, strings.TrimSuffix(plain, compBody))
		add(cfg, "POST", "POST /x HTTP/1.1", gz+"Content-Length: 3\r\n\r\nabc", plain)
	}
	return cs
}

// compBackend answers each request with the response its path asks for
// and reports the Accept-Encoding headers it got.
type compBackend struct {
	addr string
	got  chan []string
}

func newCompBackend(t testing.TB, responses map[string]string) *compBackend {
	b := &compBackend{got: make(chan []string, 16)}
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, ae, length, err := readCompRequest(r)
			if err != nil {
				return
			}
			io.CopyN(io.Discard, r, length)
			select {
			case b.got <- ae:
			default: // a test that does not look
			}
			fields := strings.Fields(line)
			if len(fields) < 2 {
				return
			}
			resp := responses[fields[1]]
			io.WriteString(c, resp)
			if strings.Contains(resp, "Connection: close") {
				return
			}
		}
	})
	b.addr = ln.Addr().String()
	return b
}

// readCompRequest reads a request head: its line, its Accept-Encoding
// values and its Content-Length.
func readCompRequest(r *bufio.Reader) (line string, ae []string, length int64, err error) {
	for i := 0; ; i++ {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", nil, 0, err
		}
		l = strings.TrimRight(l, "\r\n")
		if i == 0 {
			line = l
			continue
		}
		if l == "" {
			return line, ae, length, nil
		}
		name, value, _ := strings.Cut(l, ":")
		switch strings.ToLower(name) {
		case "accept-encoding":
			ae = append(ae, strings.TrimSpace(value))
		case "content-length":
			length, _ = strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		}
	}
}

// compAnswer is what the client got, reduced to what the comparison
// looks at.
type compAnswer struct {
	status  string
	names   string // the header names in order
	headers string // the framing and coding headers' values
	body    string // decoded
	err     string
}

// compExchange sends one request (Connection: close) and reads the
// answer whole.
func compExchange(addr, line, hdrs string) compAnswer {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return compAnswer{err: err.Error()}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := line + "\r\nHost: x\r\nConnection: close\r\n" + hdrs
	if !strings.Contains(hdrs, "\r\n\r\n") {
		req += "\r\n"
	}
	io.WriteString(c, req)
	raw, err := io.ReadAll(c)
	if err != nil {
		return compAnswer{err: err.Error()}
	}
	return parseCompAnswer(raw, strings.HasPrefix(line, "HEAD"))
}

// parseCompAnswer splits a raw answer, removes its chunking and decodes
// its content coding.
func parseCompAnswer(raw []byte, head bool) compAnswer {
	h, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return compAnswer{err: fmt.Sprintf("no head in %q", raw)}
	}
	lines := strings.Split(string(h), "\r\n")
	a := compAnswer{status: lines[0]}
	var names, kept []string
	coding, chunked := "", false
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		name, value = strings.ToLower(name), strings.TrimSpace(value)
		if name != "connection" { // persistence is not compression's business
			names = append(names, name)
		}
		switch name {
		case "content-encoding":
			coding = value
		case "transfer-encoding":
			chunked = strings.EqualFold(value, "chunked")
		}
		switch name {
		case "content-encoding", "transfer-encoding", "content-length", "vary", "etag", "x-rule", "x-after":
			kept = append(kept, name+": "+value)
		}
	}
	a.names, a.headers = strings.Join(names, ","), strings.Join(kept, "; ")
	if head {
		return a
	}
	if chunked {
		var err error
		if body, err = dechunk(body); err != nil {
			a.err = err.Error()
			return a
		}
	}
	dec, err := decode(coding, body)
	if err != nil {
		a.err = fmt.Sprintf("%s body: %v", coding, err)
	}
	a.body = string(dec)
	return a
}

// dechunk removes the chunked coding (trailers dropped).
func dechunk(b []byte) ([]byte, error) {
	var out []byte
	for {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			return out, fmt.Errorf("chunk size line missing")
		}
		n, err := strconv.ParseInt(string(line), 16, 64)
		if err != nil || int64(len(rest)) < n+2 {
			return out, fmt.Errorf("bad chunk %q", line)
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, rest[:n]...)
		b = rest[n+2:]
	}
}

// decode undoes a content coding; "deflate" may be zlib or raw deflate
// (raw-deflate is announced as deflate).
func decode(coding string, b []byte) ([]byte, error) {
	var r io.Reader
	var err error
	switch coding {
	case "":
		return b, nil
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(b))
	case "deflate":
		if r, err = zlib.NewReader(bytes.NewReader(b)); err != nil {
			r, err = flate.NewReader(bytes.NewReader(b)), nil
		}
	default:
		return b, nil // not ours to decode (the server's own coding)
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// TestCompressionMatchesReference plays a table of requests and
// responses through the reference and ours with the same compression
// settings, and compares what the client gets (status, header names in
// order, the coding and framing headers, the decoded body, which must
// also be the server's), what the server got as Accept-Encoding, and the
// log line (%B, res.comp, res.comp_algo).
func TestCompressionMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	cases := compCases()
	responses := map[string]string{}
	for i := range cases {
		path := fmt.Sprintf("/c%d", i)
		responses[path] = cases[i].response
		cases[i].line = strings.Replace(cases[i].line, "/x", path, 1)
	}
	be := newCompBackend(t, responses)
	type side struct {
		addr  string
		lines func(n int) []string
	}
	sides := map[string][2]side{}
	for name, cfg := range compConfigs {
		port := difftest.FreePort(t)
		config := func(port int) string {
			return strings.NewReplacer("{PORT}", strconv.Itoa(port), "{SERVER}", be.addr).Replace(cfg)
		}
		ref := difftest.StartReferenceConfig(t, bin, config(port))
		e, ours := startOurs(t, config(difftest.FreePort(t)), plainLine)
		sides[name] = [2]side{
			{fmt.Sprintf("127.0.0.1:%d", port), func(n int) []string { return refLines(ref, "C^", n) }},
			{feAddr(e, "fe"), func(n int) []string {
				var got []string
				waitFor(t, "our log line", func() bool { got = ours(); return len(got) >= n })
				return got
			}},
		}
	}
	logged := map[string]int{}
	for _, tc := range cases {
		t.Run(tc.cfg+"/"+tc.desc, func(t *testing.T) {
			var answers [2]compAnswer
			var seen, lines [2]string
			for i, s := range sides[tc.cfg] {
				answers[i] = compExchange(s.addr, tc.line, tc.hdrs)
				seen[i] = strings.Join(<-be.got, "|")
				all := s.lines(logged[tc.cfg] + 1)
				lines[i] = all[logged[tc.cfg]]
			}
			logged[tc.cfg]++
			ref, ours := answers[0], answers[1]
			if ref.err != "" {
				t.Fatalf("reference: %s", ref.err)
			}
			if ours.err != "" {
				t.Errorf("ours: %s", ours.err)
			}
			if ref.status != ours.status || ref.names != ours.names || ref.headers != ours.headers {
				t.Errorf("head:\nref  %s | %s | %s\nours %s | %s | %s", ref.status, ref.names, ref.headers, ours.status, ours.names, ours.headers)
			}
			_, want, _ := strings.Cut(tc.response, "\r\n\r\n")
			if !strings.HasPrefix(tc.line, "HEAD") && ours.body != ref.body {
				t.Errorf("decoded body: %d bytes from ours, %d from the reference", len(ours.body), len(ref.body))
			}
			if !strings.Contains(ref.headers, "transfer-encoding") && !strings.HasPrefix(tc.line, "HEAD") && !strings.HasPrefix(tc.response, "HTTP/1.1 304") && ours.body != want {
				t.Errorf("ours changed an uncompressed body: %q", ours.body)
			}
			if seen[0] != seen[1] {
				t.Errorf("the server got Accept-Encoding %q from the reference, %q from ours", seen[0], seen[1])
			}
			if compressed := strings.Contains(lines[0], "^1^"); !compressed && strings.Contains(tc.response, "chunked") {
				// Known apart from compression: ours counts the chunk
				// framing of a chunked body it relays as it is.
				lines[0], lines[1] = maskBytesOut(lines[0]), maskBytesOut(lines[1])
			}
			if lines[0] != lines[1] {
				t.Errorf("log line:\nref  %s\nours %s", lines[0], lines[1])
			}
		})
	}
}

// maskBytesOut hides a log line's %B (its third field).
func maskBytesOut(line string) string {
	f := strings.Split(line, fieldSep)
	if len(f) > 2 {
		f[2] = "B"
	}
	return strings.Join(f, fieldSep)
}

// TestCompressionStreamsMatchReference: a response whose server sends a
// first part and then waits is not held back: compressed data of that
// part reaches the client before the rest is sent, from the reference and
// from ours, for Content-Length and chunked bodies; the whole then
// decodes to the server's body. The reference (libslz) keeps the last
// bytes of a burst until more comes; ours flushes the burst whole, so all
// of the first part must decode.
func TestCompressionStreamsMatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	first, rest := strings.Repeat("first part ", 300), strings.Repeat("and the rest ", 200)
	for _, framing := range []string{"cl", "chunked"} {
		t.Run(framing, func(t *testing.T) {
			release := make(chan struct{}, 2)
			ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
				if _, _, _, err := readCompRequest(bufio.NewReader(c)); err != nil {
					return
				}
				head := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
				if framing == "cl" {
					io.WriteString(c, head+fmt.Sprintf("Content-Length: %d\r\n\r\n", len(first)+len(rest))+first)
					<-release
					io.WriteString(c, rest)
					return
				}
				io.WriteString(c, head+fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(first), first))
				<-release
				io.WriteString(c, fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(rest), rest))
			})
			cfg := strings.NewReplacer("{PORT}", "%d", "{SERVER}", ln.Addr().String()).Replace(compConfigs["frontend"])
			cfg = strings.ReplaceAll(cfg, "%[", "%%[") // the log format, for Sprintf
			cfg = strings.ReplaceAll(cfg, "C^%ST^%B^", "C^%%ST^%%B^")
			port := difftest.FreePort(t)
			difftest.StartReferenceConfig(t, bin, fmt.Sprintf(cfg, port))
			e, _ := startOurs(t, fmt.Sprintf(cfg, difftest.FreePort(t)), plainLine)
			for i, addr := range []string{fmt.Sprintf("127.0.0.1:%d", port), feAddr(e, "fe")} {
				want := []int{1, len(first)}[i] // some of it from the reference, all from ours
				got, err := streamFirstPart(addr, want, release)
				if err != nil {
					t.Fatalf("%s: %v", addr, err)
				}
				if got != first+rest {
					t.Errorf("%s: the body decodes to %d bytes, want the server's %d", addr, len(got), len(first)+len(rest))
				}
			}
		})
	}
}

// streamFirstPart requests a gzip response, reads until the first n
// bytes of the body decode (the server is then still holding the rest),
// releases the server and reads the answer whole; it returns the
// decoded body.
func streamFirstPart(addr string, n int, release chan<- struct{}) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	// A bound for a failure, not a measure: the first part must come
	// while the server waits, however long that takes here.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
	var raw []byte
	buf := make([]byte, 4096)
	for {
		k, err := c.Read(buf)
		raw = append(raw, buf[:k]...)
		if err != nil {
			return "", fmt.Errorf("the first part never came whole (%d bytes read): %v", len(raw), err)
		}
		if decodedPrefix(raw) >= n {
			break
		}
	}
	release <- struct{}{}
	rest, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	a := parseCompAnswer(append(raw, rest...), false)
	if a.err != "" {
		return "", fmt.Errorf("%s", a.err)
	}
	return a.body, nil
}

// decodedPrefix is how many body bytes the whole chunks of a gzip
// answer read so far decode to.
func decodedPrefix(raw []byte) int {
	_, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return 0
	}
	var data []byte
	for {
		line, rest, ok := bytes.Cut(body, []byte("\r\n"))
		size, err := strconv.ParseInt(string(line), 16, 64)
		if !ok || err != nil || size == 0 || int64(len(rest)) < size+2 {
			break
		}
		data, body = append(data, rest[:size]...), rest[size+2:]
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0
	}
	got, _ := io.ReadAll(zr) // stops at the end of what came: a truncated stream
	return len(got)
}

// TestCompressionKeepAliveAndH2MatchReference: compressed and plain
// answers follow each other on one kept-alive HTTP/1.1 connection, and
// an HTTP/2 client gets the same coding, as from the reference; the
// bodies decode to the server's and the log lines (%B, res.comp_algo)
// agree.
func TestCompressionKeepAliveAndH2MatchReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	responses := map[string]string{
		"/cl":      compResp("200 OK", compHTML, compBody, "cl"),
		"/chunked": compResp("200 OK", compHTML, compBody, "chunked"),
		"/png":     compResp("200 OK", "Content-Type: image/png\r\n", compBody, "cl"),
	}
	be := newCompBackend(t, responses)
	cfg := strings.Replace(compConfigs["frontend"], "bind 127.0.0.1:{PORT}", "bind 127.0.0.1:{PORT}\n\tbind 127.0.0.1:{PORT2} proto h2", 1)
	config := func(p1, p2 int) string {
		return strings.NewReplacer("{PORT}", strconv.Itoa(p1), "{PORT2}", strconv.Itoa(p2), "{SERVER}", be.addr).Replace(cfg)
	}
	p1, p2 := difftest.FreePort(t), difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, config(p1, p2))
	e, ours := startOurs(t, config(difftest.FreePort(t), difftest.FreePort(t)), plainLine)
	addrs := [2][2]string{{fmt.Sprintf("127.0.0.1:%d", p1), fmt.Sprintf("127.0.0.1:%d", p2)},
		{e.Addrs()["fe"][0].String(), e.Addrs()["fe"][1].String()}}
	sequence := []struct{ path, ae string }{{"/cl", "gzip"}, {"/png", "gzip"}, {"/chunked", "deflate"}, {"/cl", ""}, {"/chunked", "gzip"}}
	var got [2][]string
	for i, a := range addrs {
		c, err := net.Dial("tcp", a[0])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		for _, x := range sequence {
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nAccept-Encoding: %s\r\n\r\n", x.path, x.ae)
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("%s: %v", a[0], err)
			}
			got[i] = append(got[i], describeCompResponse(resp))
		}
		h2 := h2Client(a[1], true)
		for _, x := range sequence {
			req, _ := http.NewRequest("GET", "http://x"+x.path, nil)
			req.Header.Set("Accept-Encoding", x.ae)
			resp, err := h2.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", a[1], err)
			}
			got[i] = append(got[i], "h2 "+describeCompResponse(resp))
		}
	}
	for _, d := range got[1] {
		if !strings.HasSuffix(d, "the server's body") {
			t.Errorf("ours: %s", d)
		}
	}
	if strings.Join(got[0], "\n") != strings.Join(got[1], "\n") {
		t.Errorf("answers:\nref\n%s\nours\n%s", strings.Join(got[0], "\n"), strings.Join(got[1], "\n"))
	}
	n := 2 * len(sequence)
	var ourLines []string
	waitFor(t, "our log lines", func() bool { ourLines = ours(); return len(ourLines) >= n })
	// Sorted: a connection's last line may come after the next one's.
	refGot := refLines(ref, "C^", n)
	slices.Sort(refGot)
	slices.Sort(ourLines)
	if strings.Join(refGot, "\n") != strings.Join(ourLines, "\n") {
		t.Errorf("log lines:\nref\n%s\nours\n%s", strings.Join(refGot, "\n"), strings.Join(ourLines, "\n"))
	}
	// The statistics: bytes given to the compressor and responses
	// compressed, in the frontend and the backend (what the compressor
	// makes differs by library: only whether it made some).
	refCSV, err := ref.Command("show stat")
	if err != nil {
		t.Fatal(err)
	}
	_, refRows := parseCSV(t, refCSV)
	_, ourRows := parseCSV(t, ourCSV(t, e))
	for _, row := range []string{"fe/FRONTEND", "be/BACKEND", "be/s1"} {
		r, o := refRows[row], ourRows[row]
		if r["comp_in"] != o["comp_in"] || r["comp_rsp"] != o["comp_rsp"] || (r["comp_out"] == "0") != (o["comp_out"] == "0") || (r["comp_out"] == "") != (o["comp_out"] == "") {
			t.Errorf("%s comp_in/out/rsp: reference %s/%s/%s, ours %s/%s/%s", row, r["comp_in"], r["comp_out"], r["comp_rsp"], o["comp_in"], o["comp_out"], o["comp_rsp"])
		}
	}
}

// describeCompResponse reads resp whole and describes its status, coding
// and whether its decoded body is the server's.
func describeCompResponse(resp *http.Response) string {
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Sprintf("%d: body: %v", resp.StatusCode, err)
	}
	coding := resp.Header.Get("Content-Encoding")
	body, err := decode(coding, raw)
	verdict := "the server's body"
	if err != nil || string(body) != compBody {
		verdict = fmt.Sprintf("another body (%d bytes, %v)", len(body), err)
	}
	return fmt.Sprintf("%d coding %q vary %q: %s", resp.StatusCode, coding, resp.Header.Values("Vary"), verdict)
}

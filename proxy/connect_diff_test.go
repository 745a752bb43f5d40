package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// connectTerms is the log format of the CONNECT comparison.
var connectTerms = []string{"K", "%ST", "%ts", "%{+Q}r", "%B", "%U"}

// connectServer answers a CONNECT with 200 then echoes what follows,
// upper-cased; one to "refuse:443" gets a 403 instead.
func connectServer(t *testing.T) string {
	ln := difftest.Serve(t, difftest.BackendHost+":0", func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		rd := bufio.NewReader(c)
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		for {
			l, err := rd.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		if strings.Contains(line, "refuse:443") {
			io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno")
			return
		}
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		buf := make([]byte, 64)
		for {
			n, err := rd.Read(buf)
			if err != nil {
				return
			}
			c.Write([]byte(strings.ToUpper(string(buf[:n]))))
		}
	})
	return ln.Addr().String()
}

// connectThrough sends a CONNECT, then, once answered, "ping" twice
// through the connection, and tells what came back.
func connectThrough(t *testing.T, addr, target string) string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	rd := bufio.NewReader(c)
	status, err := rd.ReadString('\n')
	if err != nil {
		return "no answer: " + err.Error()
	}
	for {
		l, err := rd.ReadString('\n')
		if err != nil || l == "\r\n" {
			break
		}
	}
	got := strings.TrimSpace(status)
	for _, p := range []string{"ping", "pong"} {
		c.Write([]byte(p))
		c.SetReadDeadline(time.Now().Add(time.Second))
		b := make([]byte, 16)
		n, err := rd.Read(b)
		if err != nil {
			return got + " | then " + strings.SplitN(err.Error(), ":", 2)[0]
		}
		got += " | " + string(b[:n])
	}
	return got
}

// TestConnectMatchesReference: a CONNECT the server accepts (2xx) turns
// the connection into a tunnel, as with the reference; one it refuses
// gets its answer and what follows is a request again. The log lines
// agree, the CONNECT's size with its Host's default port dropped.
func TestConnectMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	be := connectServer(t)
	cfg := func(port int) string {
		return logDefaults("http", "timeout tunnel 5s") + fmt.Sprintf(`listen fe
	bind 127.0.0.1:%d
	log-format "%s"
	server s1 %s
`, port, strings.Join(connectTerms, fieldSep), be)
	}
	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, cfg(port))
	e, ours := startOurs(t, cfg(difftest.FreePort(t)), plainLine)
	for _, target := range []string{"example.com:443", "refuse:443"} {
		r := connectThrough(t, fmt.Sprintf("127.0.0.1:%d", port), target)
		o := connectThrough(t, feAddr(e, "fe"), target)
		if r != o {
			t.Errorf("CONNECT %s:\nref  %s\nours %s", target, r, o)
		}
	}
	// The third line: the bytes sent after the refused CONNECT are a bad
	// request, logged when the client leaves.
	refGot := refLines(ref, "K^", 3)
	var ourGot []string
	waitFor(t, "our log lines", func() bool { ourGot = ours(); return len(ourGot) >= 3 })
	compareLines(t, connectTerms, refGot, ourGot)
}

// authorityTerms is the log format of the authority comparison.
var authorityTerms = []string{"A", "%ST", "%{+Q}r", "%U", "%[var(txn.h)]", "%[var(txn.u)]"}

// TestAuthorityNormalizationMatchesReference: an absolute URI loses its
// scheme's default port, and so does the Host header then; a CONNECT's
// Host must name its target and loses a default port; the request line,
// Host and size the reference logs are ours.
func TestAuthorityNormalizationMatchesReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	cfg := func(port int) string {
		return logDefaults("http") + fmt.Sprintf(`listen fe
	bind 127.0.0.1:%d
	log-format "%s"
	http-request set-var(txn.h) req.hdr(host)
	http-request set-var(txn.u) url
	http-request return status 200
`, port, strings.Join(authorityTerms, fieldSep))
	}
	reqs := []string{
		"GET http://a:/ HTTP/1.1\r\nHost: a:\r\n", "GET http://a:443/ HTTP/1.1\r\nHost: a:443\r\n",
		"GET HTTP://A:80/x?y HTTP/1.1\r\nHost: A:80\r\n", "GET http://u@a:80/ HTTP/1.1\r\nHost: a:80\r\n",
		"GET http://a:80 HTTP/1.1\r\nHost: a:80\r\n", "GET http://[::1]:80/ HTTP/1.1\r\nHost: [::1]:80\r\n",
		"GET http://a:80/ HTTP/1.1\r\nHost: a\r\n", "GET ftp://a:21/ HTTP/1.1\r\nHost: a:21\r\n",
		"GET http://a:080/ HTTP/1.1\r\nHost: a:080\r\n", "GET http://a/ HTTP/1.1\r\nHost: a:80\r\n",
		"GET https://a:443/ HTTP/1.1\r\nHost: a\r\n", "GET http://a:80?q HTTP/1.1\r\nHost: a:80\r\n",
		"CONNECT a: HTTP/1.1\r\nHost: a:\r\n", "CONNECT a:443 HTTP/1.1\r\nHost: a:80\r\n",
		"CONNECT a:8443 HTTP/1.1\r\nHost: a:8443\r\n", "CONNECT a:80 HTTP/1.1\r\nHost: a:443\r\n",
		"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n",
		"CONNECT a:8443 HTTP/1.1\r\nHost: a\r\n", "CONNECT A:443 HTTP/1.1\r\nHost: a:443\r\n",
	}
	send := func(addr string) {
		for _, r := range reqs {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c, r+"Connection: close\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			io.ReadAll(c)
			c.Close()
		}
	}
	port := difftest.FreePort(t)
	ref := difftest.StartReferenceConfig(t, bin, cfg(port))
	send(fmt.Sprintf("127.0.0.1:%d", port))
	refGot := refLines(ref, "A^", len(reqs))
	e, ours := startOurs(t, cfg(difftest.FreePort(t)), plainLine)
	send(feAddr(e, "fe"))
	var ourGot []string
	waitFor(t, "our log lines", func() bool { ourGot = ours(); return len(ourGot) >= len(reqs) })
	compareLines(t, authorityTerms, refGot, ourGot)
}

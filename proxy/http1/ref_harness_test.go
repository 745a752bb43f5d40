package http1

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// refProxy is one live reference haproxy in mode http in front of a loopback
// net/http backend (net/http is fine here: it only sees what the reference
// forwards, already normalised, and is not on our data path).
type refProxy struct {
	addr string
}

// startReference runs the reference with a frontend on an inherited loopback
// listener (bind fd@3: no port race with parallel tests) and a backend that
// drains each request body and answers 200.
// global and defaults are extra lines for those sections.
func startReference(t *testing.T, global, defaults string) *refProxy {
	t.Helper()
	return startReferenceWith(t, global, defaults, serveBackend)
}

// startReferenceWith is startReference with another backend.
func startReferenceWith(t *testing.T, global, defaults string, serve func(net.Listener)) *refProxy {
	t.Helper()
	bin := reftest.HAProxy(t)

	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go serve(backend)
	t.Cleanup(func() { backend.Close() })

	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	f, err := front.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf(`global
	maxconn 100
%s
defaults
	mode http
	timeout connect 5s
	timeout client 10s
	timeout server 10s
	timeout http-request 400ms
	timeout http-keep-alive 100ms
	timeout tunnel 100ms
	option http-buffer-request
%s
frontend fe
	bind fd@3
	default_backend be
backend be
	server s1 %s
`, global, defaults, backend.Addr())
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.ExtraFiles = []*os.File{f}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("reference stderr:\n%s", stderr.String())
		}
	})
	return &refProxy{addr: front.Addr().String()}
}

// exchange sends raw bytes without closing its side, so the reference
// treats them exactly as a pipelining client's, and returns the final
// status codes of the responses read until the reference closes (after an
// error, after a non-persistent exchange, or when its short keep-alive or
// http-request timeout ends the wait for more). Interim 1xx answers, which
// the reference sends for Expect: 100-continue, are left out.
func (p *refProxy) exchange(raw []byte) ([]int, error) {
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// A safety net against a hung exchange, not a measured threshold.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(raw); err != nil {
		return nil, err
	}
	var statuses []int
	br := bufio.NewReader(c)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return statuses, nil
		}
		if err != nil {
			return statuses, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 200 {
			statuses = append(statuses, resp.StatusCode)
		}
	}
}

// serveBackend answers every request the reference forwards with an empty
// 200 whatever its head holds: it must never be the one that rejects, so
// that every other status the client sees is the reference's own verdict.
// It only frames bodies, which the reference has re-encoded cleanly.
func serveBackend(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				length, chunked := int64(0), false
				for first := true; ; first = false {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					line = strings.TrimRight(line, "\r\n")
					if line == "" {
						break
					}
					if first {
						continue
					}
					name, value, _ := strings.Cut(line, ":")
					value = strings.TrimSpace(value)
					switch strings.ToLower(name) {
					case "content-length":
						length, _ = strconv.ParseInt(value, 10, 64)
					case "transfer-encoding":
						chunked = true
					}
				}
				var body io.Reader = io.LimitReader(br, length)
				if chunked {
					body = httputil.NewChunkedReader(br)
				}
				if _, err := io.Copy(io.Discard, body); err != nil {
					return
				}
				if chunked { // trailers up to the empty line
					for {
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						if strings.TrimRight(line, "\r\n") == "" {
							break
						}
					}
				}
				if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"); err != nil {
					return
				}
			}
		}()
	}
}

package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// gatedOrigin answers GET /gate: the first request gets its head and half
// its body, the rest when first is closed; the second waits for second
// before it gets its whole answer; later ones are answered at once. Each
// answer's body tells which request it was.
type gatedOrigin struct {
	addr          string
	first, second chan struct{}
	mu            sync.Mutex
	n             int
}

func newGatedOrigin(t *testing.T) *gatedOrigin {
	o := &gatedOrigin{first: make(chan struct{}), second: make(chan struct{})}
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		o.mu.Lock()
		o.n++
		n := o.n
		o.mu.Unlock()
		head := "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 10\r\n\r\n"
		switch n {
		case 1:
			io.WriteString(c, head+"first")
			<-o.first
			io.WriteString(c, "-body")
		case 2:
			<-o.second
			io.WriteString(c, head+"secondbody")
		default:
			io.WriteString(c, head+"later-body")
		}
	})
	o.addr = ln.Addr().String()
	return o
}

func (o *gatedOrigin) requests() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// playConcurrentMisses has two misses of one key overlap (the second
// answered whole while the first's body is still coming), then asks
// again before and after the first ends: what each request got, and
// whether the later ones reached the origin.
func playConcurrentMisses(t *testing.T, addr string, o *gatedOrigin) string {
	req := "GET /gate HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		t.Cleanup(func() { c.Close() })
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		return c, bufio.NewReader(c)
	}
	read := func(rd *bufio.Reader) *http.Response {
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	_, rdA := dial()
	respA := read(rdA) // its head went through cache-store
	_, rdB := dial()
	waitFor(t, "the second request at the origin", func() bool { return o.requests() == 2 })
	close(o.second)
	respB := read(rdB)
	bodyB, _ := io.ReadAll(respB.Body)
	// While the first is still coming: what does the cache hold?
	_, rdC := dial()
	respC := read(rdC)
	bodyC, _ := io.ReadAll(respC.Body)
	afterC := o.requests()
	close(o.first)
	bodyA, _ := io.ReadAll(respA.Body)
	_, rdD := dial()
	respD := read(rdD)
	bodyD, _ := io.ReadAll(respD.Body)
	return fmt.Sprintf("A=%q B=%q C=%q (origin reached: %v) D=%q (origin reached: %v)",
		bodyA, bodyB, bodyC, afterC > 2, bodyD, o.requests() > afterC)
}

// TestCacheConcurrentMissesAsReference: while the first response of a key
// is being stored, a second one for the same key is not (nor served),
// and once the first is whole it is the entry kept, as with the
// reference.
func TestCacheConcurrentMissesAsReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	cfg := cacheConfig("\ttotal-max-size 4\n\tmax-object-size 2000\n\tmax-age 60",
		"\thttp-request cache-use c1\n\thttp-response cache-store c1", "")
	refOrigin := newGatedOrigin(t)
	port := difftest.FreePort(t)
	difftest.StartReferenceConfig(t, bin, cfg(port, refOrigin.addr))
	ref := playConcurrentMisses(t, fmt.Sprintf("127.0.0.1:%d", port), refOrigin)
	ourOrigin := newGatedOrigin(t)
	e, _ := startOurs(t, cfg(difftest.FreePort(t), ourOrigin.addr), plainLine)
	ours := playConcurrentMisses(t, feAddr(e, "fe"), ourOrigin)
	if ref != ours {
		t.Errorf("overlapping misses:\nref  %s\nours %s", ref, ours)
	}
	t.Log(ours)
}

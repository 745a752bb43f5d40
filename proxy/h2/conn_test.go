package h2

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"fulcrum/proxy/internal/difftest"
)

// echo answers with the request line and the body it read.
func echo(s *Stream) {
	body, err := io.ReadAll(s)
	if err != nil {
		s.Reset(http2.ErrCodeCancel)
		return
	}
	out := fmt.Sprintf("%s %s %s %s\n", s.Req.Method, s.Req.Scheme, s.Req.Authority, s.Req.Path)
	s.WriteHeaders(200, []Header{{"Content-Type", "text/plain"}}, false)
	s.Write([]byte(out))
	s.WriteEnd(body)
}

// listen serves h on a loopback listener and returns its address.
func listen(t *testing.T, opts Options, h Handler) string {
	ln := difftest.Serve(t, "127.0.0.1:0", func(c net.Conn) { Serve(c, nil, opts, h) })
	return ln.Addr().String()
}

func client(addr string) *http.Client {
	tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, _ string, _ *tls.Config) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// TestBodiesUnderFlowControl: request and response bodies several times
// the initial window go through whole, on concurrent streams.
func TestBodiesUnderFlowControl(t *testing.T) {
	addr := listen(t, Options{}, echo)
	c := client(addr)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := bytes.Repeat([]byte{'a' + byte(i)}, 200000+i)
			resp, err := c.Post("http://"+addr+"/p", "text/plain", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Error(err)
				return
			}
			want := "POST http " + addr + " /p\n" + string(body)
			if resp.StatusCode != 200 || string(got) != want {
				t.Errorf("stream %d: status %d, %d bytes, want %d", i, resp.StatusCode, len(got), len(want))
			}
		}()
	}
	wg.Wait()
}

// rawConn opens a connection, sends the preface and SETTINGS, and
// returns the framer.
func rawConn(t *testing.T, addr string) (*http2.Framer, net.Conn) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, Preface)
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	return fr, c
}

func encode(fields ...string) []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return b.Bytes()
}

// until reads frames up to the first one want accepts, answering
// SETTINGS; it fails on the connection's end.
func until(t *testing.T, fr *http2.Framer, want func(http2.Frame) bool) http2.Frame {
	t.Helper()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("connection ended: %v", err)
		}
		if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
			fr.WriteSettingsAck()
			continue
		}
		if want(f) {
			return f
		}
	}
}

// TestStreamErrors: a malformed head is refused with RST_STREAM
// PROTOCOL_ERROR and the connection goes on.
func TestStreamErrors(t *testing.T) {
	addr := listen(t, Options{}, echo)
	for _, c := range []struct {
		desc   string
		fields []string
	}{
		{"no method", []string{":scheme", "http", ":path", "/"}},
		{"no path", []string{":method", "GET", ":scheme", "http"}},
		{"connection field", []string{":method", "GET", ":scheme", "http", ":path", "/", "connection", "close"}},
		{"te other than trailers", []string{":method", "GET", ":scheme", "http", ":path", "/", "te", "gzip"}},
		{"upper-case name", []string{":method", "GET", ":scheme", "http", ":path", "/", "X-A", "1"}},
		{"bad content-length", []string{":method", "GET", ":scheme", "http", ":path", "/", "content-length", "x"}},
		{"CONNECT with a path", []string{":method", "CONNECT", ":authority", "a:1", ":path", "/"}},
	} {
		t.Run(c.desc, func(t *testing.T) {
			fr, _ := rawConn(t, addr)
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: encode(c.fields...), EndStream: true, EndHeaders: true})
			f := until(t, fr, func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok })
			if code := f.(*http2.RSTStreamFrame).ErrCode; code != http2.ErrCodeProtocol {
				t.Errorf("RST_STREAM %v, want PROTOCOL_ERROR", code)
			}
			// The connection still serves.
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: encode(":method", "GET", ":scheme", "http", ":path", "/ok"),
				EndStream: true, EndHeaders: true})
			until(t, fr, func(f http2.Frame) bool {
				return f.Header().StreamID == 3 && f.Header().Flags.Has(http2.FlagDataEndStream)
			})
		})
	}
}

// TestConcurrencyLimit: a stream beyond the advertised maximum is
// refused with REFUSED_STREAM.
func TestConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	addr := listen(t, Options{Settings: Settings{MaxConcurrentStreams: 1, InitialWindowSize: defaultWindow,
		MaxFrameSize: defaultFrameSize, HeaderTableSize: defaultTableSize}}, func(s *Stream) {
		<-release
		echo(s)
	})
	defer close(release)
	fr, _ := rawConn(t, addr)
	head := encode(":method", "GET", ":scheme", "http", ":path", "/")
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: head, EndStream: true, EndHeaders: true})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: head, EndStream: true, EndHeaders: true})
	rst := until(t, fr, func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok }).(*http2.RSTStreamFrame)
	if rst.StreamID != 3 || rst.ErrCode != http2.ErrCodeRefusedStream {
		t.Errorf("RST_STREAM %d %v, want 3 REFUSED_STREAM", rst.StreamID, rst.ErrCode)
	}
}

// TestSettingsAdvertised: the server's SETTINGS are the reference's
// (ENABLE_CONNECT_PROTOCOL, MAX_CONCURRENT_STREAMS), and tuned values
// that differ from the protocol's defaults are added.
func TestSettingsAdvertised(t *testing.T) {
	for _, c := range []struct {
		desc string
		set  Settings
		want string
	}{
		{"defaults", DefaultSettings(), "[ENABLE_CONNECT_PROTOCOL = 1] [MAX_CONCURRENT_STREAMS = 100]"},
		{"tuned", Settings{MaxConcurrentStreams: 7, InitialWindowSize: 1 << 20, MaxFrameSize: 32768, HeaderTableSize: 8192},
			"[ENABLE_CONNECT_PROTOCOL = 1] [MAX_CONCURRENT_STREAMS = 7] [HEADER_TABLE_SIZE = 8192] [INITIAL_WINDOW_SIZE = 1048576] [MAX_FRAME_SIZE = 32768]"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			addr := listen(t, Options{Settings: c.set}, echo)
			fr, _ := rawConn(t, addr)
			first, err := fr.ReadFrame() // the server speaks first
			if err != nil {
				t.Fatal(err)
			}
			f, ok := first.(*http2.SettingsFrame)
			if !ok || f.IsAck() {
				t.Fatalf("first frame %v, want SETTINGS", first)
			}
			var got []string
			f.ForeachSetting(func(s http2.Setting) error { got = append(got, s.String()); return nil })
			if strings.Join(got, " ") != c.want {
				t.Errorf("got %s\nwant %s", strings.Join(got, " "), c.want)
			}
		})
	}
}

// TestGoAwayWhenDraining: an idle connection of a draining process gets
// GOAWAY NO_ERROR and is closed.
func TestGoAwayWhenDraining(t *testing.T) {
	var mu sync.Mutex
	draining := false
	addr := listen(t, Options{Draining: func() bool { mu.Lock(); defer mu.Unlock(); return draining }}, echo)
	fr, _ := rawConn(t, addr)
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: encode(":method", "GET", ":scheme", "http", ":path", "/"),
		EndStream: true, EndHeaders: true})
	until(t, fr, func(f http2.Frame) bool { return f.Header().Flags.Has(http2.FlagDataEndStream) })
	mu.Lock()
	draining = true
	mu.Unlock()
	g := until(t, fr, func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok }).(*http2.GoAwayFrame)
	if g.ErrCode != http2.ErrCodeNo || g.LastStreamID != 1 {
		t.Errorf("GOAWAY %d %v, want 1 NO_ERROR", g.LastStreamID, g.ErrCode)
	}
	if _, err := fr.ReadFrame(); err == nil {
		t.Error("connection still open after GOAWAY")
	}
}

// TestBadPreface: a connection that does not start with the preface
// ends without a frame.
func TestBadPreface(t *testing.T) {
	var out bytes.Buffer
	err := Serve(&fakeConn{r: strings.NewReader("GET / HTTP/1.1\r\n\r\n" + strings.Repeat("x", 10)), w: &out}, nil, Options{}, echo)
	if err == nil || out.Len() != 0 {
		t.Errorf("err %v, wrote %q", err, out.Bytes())
	}
}

// fakeConn reads r and writes to w.
type fakeConn struct {
	r io.Reader
	w io.Writer
	net.Conn
}

func (c *fakeConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *fakeConn) Write(b []byte) (int, error)      { return c.w.Write(b) }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) Close() error                     { return nil }

// seedFrames is a request with a body, in frames after the preface.
func seedFrames(extra func(fr *http2.Framer)) []byte {
	var b bytes.Buffer
	fr := http2.NewFramer(&b, nil)
	fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: encode(":method", "POST", ":scheme", "http",
		":path", "/x", ":authority", "a", "content-length", "3"), EndHeaders: true})
	fr.WriteData(1, true, []byte("abc"))
	fr.WritePing(false, [8]byte{1})
	fr.WriteWindowUpdate(0, 100)
	if extra != nil {
		extra(fr)
	}
	return b.Bytes()
}

// FuzzServe: whatever frames follow the preface, the connection ends
// without a panic or a hang once the input does.
func FuzzServe(f *testing.F) {
	f.Add(seedFrames(nil))
	f.Add(seedFrames(func(fr *http2.Framer) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: encode(":method", "GET"), EndHeaders: false})
		fr.WriteContinuation(3, true, encode(":path", "/", ":scheme", "https"))
		fr.WriteRSTStream(3, http2.ErrCodeCancel)
		fr.WriteGoAway(3, http2.ErrCodeNo, nil)
	}))
	f.Add(seedFrames(func(fr *http2.Framer) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: []byte{0xff, 0xff}, EndStream: true, EndHeaders: true})
	}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := io.MultiReader(strings.NewReader(Preface), bytes.NewReader(data))
		Serve(&fakeConn{r: in, w: io.Discard}, nil, Options{}, echo)
	})
}

package proxy

import (
	"net/netip"
	"testing"
	"time"
)

// benchRecord is a finished http request with captures and a unique ID,
// logged in the httplog format.
func benchRecord() *Record {
	now := time.Now()
	return &Record{Client: netip.MustParseAddrPort("10.0.0.1:40000"), Listener: netip.MustParseAddrPort("10.0.0.2:80"),
		Accept: now, Frontend: "fe", Backend: "be", Server: "s1", SrvAddr: netip.MustParseAddrPort("10.0.0.3:8080"),
		LocalAddr: netip.MustParseAddrPort("10.0.0.2:50000"), TQueue: time.Millisecond, TConnect: time.Millisecond,
		TTotal: 5 * time.Millisecond, BytesOut: 1000, BytesIn: 100, Term: [2]byte{'-', '-'}, ActConn: 1, FeConn: 1,
		Log: &AccessLog{Format: mustCompile("%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r %ID", true)},
		HTTP: &HTTPRecord{Start: now, TReq: time.Millisecond, TResp: time.Millisecond, TActive: 4 * time.Millisecond, Status: 200,
			Request: []byte("GET /index.html?q=1 HTTP/1.1"), ReqCaptures: [][]byte{[]byte("example.com")},
			ResCaptures: [][]byte{nil}, UniqueID: []byte("0A000001:9C40_0A000002:0050")}}
}

// BenchmarkAccessLine: a record to its access line (values, render) in a
// reused buffer; allocs/op is 0 (reported, times are not asserted).
func BenchmarkAccessLine(b *testing.B) {
	r := benchRecord()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendLine(buf[:0])
	}
}

// TestAccessLineAllocs: writing an access line allocates nothing once the
// buffer is large enough.
func TestAccessLineAllocs(t *testing.T) {
	r := benchRecord()
	buf := make([]byte, 0, 1024)
	buf = r.AppendLine(buf[:0])
	if n := testing.AllocsPerRun(100, func() { buf = r.AppendLine(buf[:0]) }); n != 0 {
		t.Errorf("AppendLine allocates %v times per line: %s", n, buf)
	}
}

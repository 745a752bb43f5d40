package tlshello

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

// clientHello captures the first bytes a Go TLS client sends.
func clientHello(t testing.TB, serverName string) []byte {
	cli, srv := net.Pipe()
	go func() {
		c := tls.Client(cli, &tls.Config{ServerName: serverName, InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Handshake()
		cli.Close()
	}()
	buf := make([]byte, 16384)
	srv.SetReadDeadline(time.Now().Add(2 * time.Second))
	var got []byte
	for {
		n, err := srv.Read(buf)
		got = append(got, buf[:n]...)
		if _, err2 := SNI(got); !errors.Is(err2, ErrNeedMore) || err != nil {
			break
		}
	}
	srv.Close()
	return got
}

func TestClientHello(t *testing.T) {
	for _, name := range []string{"example.com", "a.b.example.org", ""} {
		b := clientHello(t, name)
		sni, err := SNI(b)
		if err != nil || sni != name {
			t.Fatalf("%q: SNI = %q, %v", name, sni, err)
		}
		if ht, err := HelloType(b); err != nil || ht != 1 {
			t.Fatalf("hello type %d %v", ht, err)
		}
		if v, err := Version(b); err != nil || v != 0x30003 {
			t.Fatalf("version %#x %v", v, err)
		}
		for i := 0; i < len(b); i++ {
			if _, err := SNI(b[:i]); !errors.Is(err, ErrNeedMore) {
				t.Fatalf("%q: prefix %d gave %v", name, i, err)
			}
		}
	}
	if _, err := SNI([]byte("GET / HTTP/1.1\r\n")); !errors.Is(err, ErrNotTLS) {
		t.Fatalf("http: %v", err)
	}
}

func FuzzSNI(f *testing.F) {
	f.Add(clientHello(f, "example.com"))
	f.Add([]byte{0x16, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		SNI(b)
		HelloType(b)
		Version(b)
	})
}

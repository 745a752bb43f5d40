package sockxfer

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// serveOnce answers one request on a unix socket with socks.
func serveOnce(t *testing.T, socks []Socket) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stats.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		rd := bufio.NewReader(c)
		if line, err := rd.ReadString('\n'); err != nil || line != Request {
			return
		}
		if err := Send(c, rd, socks); err != nil {
			t.Errorf("Send: %v", err)
		}
	}()
	return path
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{1, 3, maxBatch, maxBatch + 47} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var socks []Socket
			for i := 0; i < n; i++ {
				fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer unix.Close(fd)
				s := Socket{FD: fd}
				if i%2 == 1 {
					s.Interface = "lo"
				}
				if i%3 == 2 {
					s.Namespace = fmt.Sprintf("ns%d", i)
				}
				socks = append(socks, s)
			}
			got, err := Fetch(serveOnce(t, socks), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("got %d sockets, want %d", len(got), n)
			}
			for i, s := range got {
				if s.Interface != socks[i].Interface || s.Namespace != socks[i].Namespace {
					t.Errorf("socket %d: %+v, want %+v", i, s, socks[i])
				}
				// A received descriptor is a new one on the same socket.
				if typ, err := unix.GetsockoptInt(s.FD, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_STREAM || s.FD == socks[i].FD {
					t.Errorf("socket %d: fd %d type %d, %v", i, s.FD, typ, err)
				}
				unix.Close(s.FD)
			}
		})
	}
}

// TestNothingToGive: a server with no socket closes at once, as the
// reference does; Fetch says so.
func TestNothingToGive(t *testing.T) {
	if _, err := Fetch(serveOnce(t, nil), 5*time.Second); err == nil {
		t.Fatal("Fetch from a server with no socket succeeded")
	}
}

func TestParseRecords(t *testing.T) {
	cases := []struct {
		desc string
		data []byte
		n    int
		ok   bool
	}{
		{"one plain", []byte{0, 0, 0, 0, 0, 0}, 1, true},
		{"interface", []byte{0, 2, 'l', 'o', 0, 0, 0, 0}, 1, true},
		{"namespace", []byte{1, 'n', 0, 0, 0, 0, 0}, 1, true},
		{"truncated name", []byte{0, 5, 'l', 'o'}, 1, false},
		{"missing options", []byte{0, 0, 0}, 1, false},
		{"trailing bytes", []byte{0, 0, 0, 0, 0, 0, 9}, 1, false},
		{"too few records", []byte{0, 0, 0, 0, 0, 0}, 2, false},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			got, err := ParseRecords(c.data, c.n)
			if (err == nil) != c.ok {
				t.Fatalf("ParseRecords = %v, %v", got, err)
			}
			if c.ok && len(got) != c.n {
				t.Fatalf("%d records, want %d", len(got), c.n)
			}
		})
	}
}

// FuzzParseRecords: any input gives records that encode back to it, or
// an error; never a panic.
func FuzzParseRecords(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0}, 1)
	f.Add([]byte{0, 2, 'l', 'o', 0, 0, 0, 0, 1, 'n', 0, 0, 0, 0, 0}, 2)
	f.Add([]byte{255}, 3)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		if n < 0 || n > 1000 {
			return
		}
		socks, err := ParseRecords(data, n)
		if err != nil {
			return
		}
		var back []byte
		for _, s := range socks {
			back, _ = appendRecord(back, s)
		}
		// Options bytes are ignored: compare the names only.
		again, err := ParseRecords(back, n)
		if err != nil || len(again) != len(socks) {
			t.Fatalf("re-encoded records do not parse: %v", err)
		}
		for i := range socks {
			if again[i] != socks[i] {
				t.Fatalf("record %d: %+v became %+v", i, socks[i], again[i])
			}
		}
	})
}

package reftest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// FreePort returns a loopback port that was free a moment ago and that
// no other FreePort caller holds until the test ends.
//
// It picks below the kernel's ephemeral range (32768-60999 by default):
// under load, outgoing loopback connections take ephemeral source ports
// and could grab a port between this choice and a proxy's bind. Test
// packages run in parallel processes, each picking ports for daemons
// that bind them later: a lock file per port (flock, released when the
// test ends or its process dies) keeps two of them from picking the same.
func FreePort(t testing.TB) int {
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if !reservePort(t, port) {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // the reservation is released at the end anyway
		}
		ln.Close()
		return port
	}
	t.Fatal("no free port found below the ephemeral range")
	return 0
}

// reservePort takes port's lock file for the rest of the test; false
// when another test (in this process or another) holds it.
func reservePort(t testing.TB, port int) bool {
	dir := filepath.Join(os.TempDir(), "fulcrum-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return true // no locking to be had: the bind check alone
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return false
	}
	t.Cleanup(func() { f.Close() }) // closing the file releases the lock
	return true
}

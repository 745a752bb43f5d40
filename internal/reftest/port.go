package reftest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// FreePort returns a loopback port that was free a moment ago.
//
// It picks below the kernel's ephemeral range (32768-60999 by default):
// under load, outgoing loopback connections take ephemeral source ports
// and could grab a port between this choice and a proxy's bind.
func FreePort(t testing.TB) int {
	for range 100 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatal("no free port found below the ephemeral range")
	return 0
}

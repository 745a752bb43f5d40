package reftest

import "testing"

// Ports handed out stay reserved for the test: never handed out twice.
func TestFreePortNeverTwice(t *testing.T) {
	seen := map[int]bool{}
	for range 300 {
		p := FreePort(t)
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}

// A port another test holds is not reserved again until it is released.
func TestReservePortExcludes(t *testing.T) {
	const port = 31999
	t.Run("holder", func(t *testing.T) {
		if !reservePort(t, port) {
			t.Skip("SKIPPING: port lock held by another process")
		}
		if reservePort(t, port) {
			t.Fatal("a held port was reserved again")
		}
	})
	if !reservePort(t, port) {
		t.Fatal("the port stayed locked after its test ended")
	}
}

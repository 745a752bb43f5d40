package proxy

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// TestSocketBuffersAsReference: tune.rcvbuf/sndbuf.client size the
// buffers of the proxy's client connections and tune.rcvbuf/sndbuf.server
// those of its server connections, as the kernel reports them (ss -m)
// for the reference's sockets and ours. Without the settings, both leave
// the system's sizes.
func TestSocketBuffersAsReference(t *testing.T) {
	bin := reftest.HAProxy(t)
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("SKIPPED LOUDLY: ss (iproute2) is not installed; the socket buffers cannot be read")
	}
	hold := func(c net.Conn) { io.Copy(io.Discard, c) } // until the proxy closes
	for _, global := range []string{
		"tune.rcvbuf.client 30000\n\ttune.sndbuf.client 20000\n\ttune.rcvbuf.server 40000\n\ttune.sndbuf.server 50000",
		"tune.sndbuf.server 20000",
		"",
	} {
		t.Run(fmt.Sprintf("%q", global), func(t *testing.T) {
			// Each proxy has its own server, so that ss tells their
			// server connections apart.
			config := func(port int) (string, int) {
				be := difftest.Serve(t, "127.0.0.1:0", hold).Addr().(*net.TCPAddr)
				return fmt.Sprintf("global\n\t%s\ndefaults\n\tmode tcp\n\ttimeout connect 1s\n\ttimeout client 5s\n\ttimeout server 5s\n"+
					"listen l\n\tbind 127.0.0.1:%d\n\tserver s %s\n", global, port, be), be.Port
			}
			refPort, ourPort := difftest.FreePort(t), difftest.FreePort(t)
			refCfg, refBe := config(refPort)
			ourCfg, ourBe := config(ourPort)
			difftest.StartReferenceConfig(t, bin, refCfg)
			startOurs(t, ourCfg, plainLine)
			ref, ours := bufferSizes(t, refPort, refBe), bufferSizes(t, ourPort, ourBe)
			if ref != ours {
				t.Errorf("socket buffers (rb/tb of the client side, then the server side):\nref  %s\nours %s", ref, ours)
			}
		})
	}
}

// bufferSizes connects through the proxy listening on fePort and reports
// the receive and send buffer sizes of its socket facing the client and
// of its socket facing the server on bePort.
func bufferSizes(t *testing.T, fePort, bePort int) string {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", fePort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x")) // the server connection opens with the first data
	skmem := regexp.MustCompile(`skmem:\(r\d+,(rb\d+),t\d+,(tb\d+)`)
	read := func(filter string) string {
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			out, err := exec.Command("ss", "-tmnH", "state", "established", filter).CombinedOutput()
			if err != nil {
				t.Fatalf("ss: %v\n%s", err, out)
			}
			if m := skmem.FindStringSubmatch(string(out)); m != nil {
				return m[1] + "/" + m[2]
			}
		}
		t.Fatalf("ss found no established socket matching %s", filter)
		return ""
	}
	return "client " + read(fmt.Sprintf("( sport = :%d )", fePort)) + ", server " + read(fmt.Sprintf("( dport = :%d )", bePort))
}

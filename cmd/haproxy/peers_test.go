package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// peersReloadConfigs: one local peer ("-L local") replicating be's
// table, in two configuration files that differ only by their stats
// socket (one per process, so each is asked apart).
func peersReloadConfigs(t *testing.T) (cfgs, socks [2]string) {
	dir, err := os.MkdirTemp("", "fulcrum-peers-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	peerPort, fePort := freePort(t), freePort(t)
	for i := range cfgs {
		socks[i] = filepath.Join(dir, fmt.Sprintf("admin%d.sock", i))
		cfgs[i] = filepath.Join(dir, fmt.Sprintf("haproxy%d.cfg", i))
		text := fmt.Sprintf(`global
	stats socket %s level admin
defaults
	mode http
	timeout connect 1s
	timeout client 5s
	timeout server 5s
peers mypeers
	peer local 127.0.0.1:%s
frontend fe
	bind 127.0.0.1:%s
	default_backend be
backend be
	stick-table type ip size 10 expire 1m peers mypeers store gpc0,http_req_cnt
	server s1 127.0.0.1:9
`, socks[i], peerPort, fePort)
		if err := os.WriteFile(cfgs[i], []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cfgs, socks
}

// TestDaemonPeersReload: entries of a replicated table survive a reload
// with -sf: the old process teaches the new one through the local peer.
// The reference teaches only once its own start-up resync window (5s,
// waiting for a process before it) is over, so the reload waits that long.
func TestDaemonPeersReload(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		cfgs, socks := peersReloadConfigs(t)
		sock := socks[0]
		old := startBin(t, bin, nil, "-db", "-L", "local", "-f", cfgs[0])
		waitFor(t, "the old process's stats socket", func() bool { return cli(t, sock, "show table") != "" })
		for _, cmd := range []string{"set table be key 10.0.0.1 data.gpc0 7 data.http_req_cnt 3", "set table be key 10.0.0.2 data.gpc0 1"} {
			if out := cli(t, sock, cmd); strings.TrimSpace(out) != "" {
				t.Fatalf("%s: %q", cmd, out)
			}
		}
		time.Sleep(5500 * time.Millisecond) // the reference's resync window
		next := startBin(t, bin, nil, "-db", "-L", "local", "-f", cfgs[1], "-sf", strconv.Itoa(old.cmd.Process.Pid))
		if code := old.waitExit(t); code != 0 {
			t.Errorf("old process exit code %d", code)
		}
		var got string
		waitFor(t, "the entries in the new process", func() bool {
			got = cli(t, socks[1], "show table be")
			return strings.Contains(got, "key=10.0.0.1 ") && strings.Contains(got, "gpc0=7 http_req_cnt=3") &&
				strings.Contains(got, "key=10.0.0.2 ")
		})
		next.signal(t, syscall.SIGUSR1)
		next.waitExit(t)
	})
}

// TestDaemonPeersMasterReload: the same with a master-worker reload
// (SIGUSR2 to the master): the new worker has the old one's entries.
func TestDaemonPeersMasterReload(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		cfgs, socks := peersReloadConfigs(t)
		sock := socks[0]
		m := startBin(t, bin, nil, "-W", "-db", "-L", "local", "-f", cfgs[0])
		waitFor(t, "the worker's stats socket", func() bool { return cli(t, sock, "show table") != "" })
		if out := cli(t, sock, "set table be key 10.0.0.7 data.gpc0 5 data.http_req_cnt 2"); strings.TrimSpace(out) != "" {
			t.Fatalf("set table: %q", out)
		}
		time.Sleep(5500 * time.Millisecond) // the reference's resync window
		m.reload(t)
		// Once the old worker is gone, only the new one answers on the
		// (shared) stats socket.
		waitFor(t, "the old worker's exit", func() bool { return strings.Contains(m.out.String(), "Former worker") })
		if got := cli(t, sock, "show table be"); !strings.Contains(got, "key=10.0.0.7 ") || !strings.Contains(got, "gpc0=5 http_req_cnt=2") {
			t.Errorf("the new worker's table:\n%s", got)
		}
		m.expectCleanStop(t)
	})
}

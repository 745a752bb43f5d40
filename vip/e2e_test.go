package vip

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"fulcrum/internal/netns"
	"fulcrum/vip/elect"
	"fulcrum/vip/notify"
	"fulcrum/vip/track"
	"fulcrum/vip/vrrp"
)

// settle bounds every wait for the network: far above the few seconds the
// protocol needs, so a slow shared machine does not fail a test, and still
// finite so a broken build does not hang.
const settle = 20 * time.Second

var testVIP = netip.MustParsePrefix("10.213.0.100/24")

// lab is a bridge joining namespaces 10.213.0.1, .2, ...
type lab struct {
	t     testing.TB
	nodes []*netns.NS
	vip   netip.Prefix // the address the instances share
	// privateTmp runs the reference with a /tmp of its own (for its
	// dump files).
	privateTmp bool
	// refGlobal is extra global_defs text for the reference.
	refGlobal string
	// refInstance is extra vrrp_instance text for the reference.
	refInstance string
}

func newLab(t testing.TB, n int) *lab {
	t.Helper()
	bed := netns.New(t)
	l := &lab{t: t, vip: testVIP}
	var addrs []string
	for k := range n {
		l.nodes = append(l.nodes, bed.Add(fmt.Sprintf("n%d", k+1)))
		addrs = append(addrs, fmt.Sprintf("10.213.0.%d/24", k+1))
	}
	bed.Bridge("eth0", l.nodes, addrs)
	return l
}

// node is one of our instances with its log.
type node struct {
	*Instance
	mu    sync.Mutex
	lines []string
	ran   chan error
}

func (n *node) logged(line string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Contains(n.lines, line)
}

func (n *node) log() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}

// newLab6 is newLab for IPv6 instances: DAD off so that link-local
// addresses are usable at once, and the VIP 2001:db8::100/64.
func newLab6(t testing.TB, n int) *lab {
	t.Helper()
	l := newLab(t, n)
	l.vip = testVIP6
	for _, ns := range l.nodes {
		ns.MustRun("sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0")
		for end := time.Now().Add(settle); ; time.Sleep(20 * time.Millisecond) {
			out := ns.MustRun("ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")
			if strings.Contains(out, "fe80::") && !strings.Contains(out, "tentative") {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("no link-local address in %s: %q", ns.Name, out)
			}
		}
	}
	return l
}

var testVIP6 = netip.MustParsePrefix("2001:db8::100/64")

// config6 is an IPv6 instance: VRRPv3, no authentication.
func config6(name string, prio uint8) Config {
	c := config(name, prio)
	c.Version, c.AuthType, c.AuthPass = 3, vrrp.AuthNone, ""
	c.VIPs = []VIP{{Prefix: testVIP6}}
	return c
}

func config(name string, prio uint8) Config {
	c := Defaults()
	c.Name, c.Interface, c.VRID, c.Priority = name, "eth0", 51, prio
	// As the model does for priority 255 without `state`.
	c.InitialMaster = prio == 255
	c.AuthType, c.AuthPass = vrrp.AuthPass, "s3cr3t"
	c.VIPs = []VIP{{Prefix: testVIP}}
	c.GARPDelay = 0
	return c
}

// start opens an instance inside the k-th namespace and runs it.
func (l *lab) start(k int, cfg Config) *node {
	l.t.Helper()
	n := &node{ran: make(chan error, 1)}
	opt := Options{Log: func(line string) {
		n.mu.Lock()
		n.lines = append(n.lines, line)
		n.mu.Unlock()
	}}
	if err := l.nodes[k].Do(func() (err error) { n.Instance, err = Open(cfg, opt); return err }); err != nil {
		l.t.Fatal(err)
	}
	go func() { n.ran <- n.Run() }()
	l.t.Cleanup(func() {
		n.Stop()
		if l.t.Failed() {
			l.t.Logf("log of %s on node %d:\n%s", cfg.Name, k+1, n.log())
		}
	})
	return n
}

// holds reports whether the k-th namespace has the VIP.
func (l *lab) holds(k int) bool {
	out, err := l.nodes[k].Run("ip", "-o", "addr", "show", "dev", "eth0")
	if err != nil {
		l.t.Fatalf("ip addr: %v %s", err, out)
	}
	return strings.Contains(out, " "+l.vip.String()+" ")
}

// waitFor polls cond until it holds or settle passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(settle); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onlyHolder waits until exactly the k-th namespace holds the VIP.
func (l *lab) onlyHolder(k int, nodes ...*node) {
	l.t.Helper()
	waitFor(l.t, fmt.Sprintf("the VIP on node %d only", k+1), func() bool {
		for j := range l.nodes {
			if l.holds(j) != (j == k) {
				return false
			}
		}
		return true
	})
}

func TestTwoNodesElectAndFailOver(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	a := l.start(0, config("VI_1", 150))
	b := l.start(1, config("VI_1", 100))
	waitFor(t, "node 1 MASTER", func() bool { return a.State() == elect.Master })
	l.onlyHolder(0)
	if b.State() != elect.Backup {
		t.Fatalf("node 2 is %v, want BACKUP", b.State())
	}
	if b.Stats().Received == 0 {
		t.Fatal("the backup accepted no advertisement")
	}

	// Killed master: no priority 0, its address stays, the backup times
	// out and takes over.
	a.Abort()
	waitFor(t, "node 2 MASTER", func() bool { return b.State() == elect.Master })
	waitFor(t, "the VIP on node 2", func() bool { return l.holds(1) })
	if b.logged("(VI_1) Backup received priority 0 advertisement") {
		t.Fatal("a killed master sent priority 0")
	}
}

func TestGracefulStopAndPreemptBack(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	withRoute := func(c Config) Config {
		c.Routes = []Route{{Dst: netip.MustParsePrefix("192.0.2.0/24"), Gateway: netip.MustParseAddr("10.213.0.254")}}
		c.Rules = []Rule{{From: netip.MustParsePrefix("10.213.0.100/32"), Table: 100, Preference: 1000}}
		return c
	}
	// routed: the route and the rule both (true) or neither (false);
	// anything else fails the test.
	routed := func(k int) bool {
		route := strings.Contains(l.nodes[k].MustRun("ip", "route"), "192.0.2.0/24 via 10.213.0.254 dev eth0 proto keepalived")
		rule := strings.Contains(l.nodes[k].MustRun("ip", "rule"), "from 10.213.0.100 lookup 100 proto keepalived")
		if route != rule {
			t.Fatalf("node %d has the virtual route %v but the rule %v", k+1, route, rule)
		}
		return route
	}
	a := l.start(0, withRoute(config("VI_1", 255)))
	b := l.start(1, withRoute(config("VI_1", 100)))
	l.onlyHolder(0)
	if !routed(0) || routed(1) {
		t.Fatal("the virtual route is not on the master alone")
	}
	waitFor(t, "node 2 BACKUP", func() bool { return b.State() == elect.Backup && b.Stats().Received > 0 })

	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node 2 MASTER", func() bool { return b.State() == elect.Master })
	if !b.logged("(VI_1) Backup received priority 0 advertisement") {
		t.Fatalf("the backup took over without the priority-0 advertisement:\n%s", b.log())
	}
	l.onlyHolder(1)
	waitFor(t, "the virtual route moving", func() bool { return routed(1) && !routed(0) })

	// The owner comes back and preempts.
	a = l.start(0, config("VI_1", 255))
	l.onlyHolder(0)
	waitFor(t, "node 2 BACKUP again", func() bool { return b.State() == elect.Backup })
	if !b.logged("(VI_1) Master received advert from 10.213.0.1 with higher priority 255, ours 100") {
		t.Fatalf("node 2 did not yield to the owner:\n%s", b.log())
	}
}

func TestNoPreempt(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	b := l.start(1, config("VI_1", 100))
	l.onlyHolder(1)
	cfg := config("VI_1", 200)
	cfg.NoPreempt = true
	a := l.start(0, cfg)
	// Node 1 hears the lower-priority master and, with nopreempt, keeps
	// restarting its timer instead of taking over.
	waitFor(t, "node 1 hearing three adverts", func() bool { return a.Stats().Received >= 4 })
	if a.State() != elect.Backup || b.State() != elect.Master {
		t.Fatalf("states %v/%v, want BACKUP/MASTER", a.State(), b.State())
	}
	l.onlyHolder(1)
}

func TestWrongPasswordIgnored(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	a := l.start(0, config("VI_1", 150))
	other := config("VI_1", 100)
	other.AuthPass = "wrong"
	b := l.start(1, other)
	// Each ignores the other, so both end up MASTER holding the VIP.
	waitFor(t, "both MASTER", func() bool { return a.State() == elect.Master && b.State() == elect.Master })
	waitFor(t, "password drops counted on both", func() bool {
		return a.Stats().Reasons[vrrp.ReasonPassword] > 0 && b.Stats().Reasons[vrrp.ReasonPassword] > 0
	})
	if !b.logged("(VI_1) received an invalid passwd!") {
		t.Fatalf("no log line for the bad password:\n%s", b.log())
	}
	if a.Stats().Received != 0 || b.Stats().Received != 0 {
		t.Fatal("an advertisement with the wrong password was used")
	}
}

func TestUnicastPeers(t *testing.T) {
	t.Parallel()
	l := newLab(t, 3)
	peer := func(k int, prio uint8, peers ...string) Config {
		c := config("VI_1", prio)
		for _, p := range peers {
			c.UnicastPeers = append(c.UnicastPeers, netip.MustParseAddr(p))
		}
		return c
	}
	a := l.start(0, peer(0, 150, "10.213.0.2", "10.213.0.3"))
	b := l.start(1, peer(1, 100, "10.213.0.1", "10.213.0.3"))
	c := l.start(2, peer(2, 50, "10.213.0.1", "10.213.0.2"))
	waitFor(t, "node 1 MASTER", func() bool { return a.State() == elect.Master })
	l.onlyHolder(0)
	waitFor(t, "both backups hearing the master", func() bool {
		return b.Stats().Received > 0 && c.Stats().Received > 0
	})
	a.Stop()
	waitFor(t, "node 2 MASTER", func() bool { return b.State() == elect.Master })
	l.onlyHolder(1)
	if c.State() != elect.Backup {
		t.Fatalf("node 3 is %v", c.State())
	}
}

func TestThreeNodesElectOneMaster(t *testing.T) {
	t.Parallel()
	l := newLab(t, 3)
	nodes := []*node{l.start(0, config("VI_1", 100)), l.start(1, config("VI_1", 200)), l.start(2, config("VI_1", 150))}
	waitFor(t, "node 2 MASTER", func() bool { return nodes[1].State() == elect.Master })
	l.onlyHolder(1)
	waitFor(t, "the others BACKUP hearing it", func() bool {
		return nodes[0].State() == elect.Backup && nodes[2].State() == elect.Backup &&
			nodes[0].Stats().Received > 0 && nodes[2].Stats().Received > 0
	})
	// The next best (priority 150) takes over after a graceful stop.
	nodes[1].Stop()
	waitFor(t, "node 3 MASTER", func() bool { return nodes[2].State() == elect.Master })
	l.onlyHolder(2)
	if nodes[0].State() != elect.Backup {
		t.Fatalf("node 1 is %v", nodes[0].State())
	}
}

// TestGratuitousARP counts the ARP announcements a new master sends:
// garp_master_repeat at once and as many again after garp_master_delay.
func TestGratuitousARP(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	var fd int
	if err := l.nodes[1].Do(func() (err error) {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		proto := int(0x0608) // ETH_P_ARP in network byte order
		if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, proto); err != nil {
			return err
		}
		tv := unix.NsecToTimeval(int64(settle))
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: ifi.Index})
	}); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	cfg := config("VI_1", 255)
	// 3 at once, 3 after the delay, then 2 per refresh: wait for two
	// refreshes.
	cfg.GARPRepeat, cfg.GARPDelay = 3, 300*time.Millisecond
	cfg.GARPRefresh, cfg.GARPRefreshRepeat = 200*time.Millisecond, 2
	// The excluded address is announced too.
	excluded := netip.MustParsePrefix("10.213.0.150/24")
	cfg.ExcludedVIPs = []VIP{{Prefix: excluded}}
	l.start(0, cfg)
	vip, evip := testVIP.Addr().As4(), excluded.Addr().As4()
	buf := make([]byte, 1500)
	seen := map[[4]byte]int{}
	for seen[vip] < 2*cfg.GARPRepeat+2*cfg.GARPRefreshRepeat || seen[evip] < 2*cfg.GARPRepeat+2*cfg.GARPRefreshRepeat {
		m, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue // the runtime's preemption signal, not a timeout
		}
		if err != nil {
			t.Fatalf("gratuitous ARPs seen %v: %v", seen, err)
		}
		arp := buf[:m]
		// An ARP request (op 1) whose sender and target are the address.
		if m >= 28 && arp[7] == 1 && bytes.Equal(arp[14:18], arp[24:28]) {
			seen[[4]byte(arp[14:18])]++
		}
	}
	if out := l.nodes[0].MustRun("ip", "-o", "addr"); !strings.Contains(out, " "+excluded.String()+" ") {
		t.Fatalf("the excluded address is not configured:\n%s", out)
	}
}

// TestNotifications checks the scripts and the FIFO line of each
// transition of a real instance.
func TestNotifications(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	fifo, err := notify.OpenFIFO(filepath.Join(dir, "fifo"))
	if err != nil {
		t.Fatal(err)
	}
	defer fifo.Close()
	rd, err := os.Open(filepath.Join(dir, "fifo"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	fifoLines := make(chan string, 8)
	go func() {
		for sc := bufio.NewScanner(rd); sc.Scan(); {
			fifoLines <- sc.Text()
		}
	}()

	record := func(tag string) notify.Script {
		return notify.Script{Argv: []string{"/bin/sh", "-c", `echo "` + tag + ` $*" >> "$0"`, out}}
	}
	cfg := config("VI_1", 255)
	cfg.Notify = notify.Scripts{Master: record("master"), Stop: record("stop"), Any: record("any")}
	n := &node{ran: make(chan error, 1)}
	if err := l.nodes[0].Do(func() (err error) { n.Instance, err = Open(cfg, Options{FIFO: fifo}); return err }); err != nil {
		t.Fatal(err)
	}
	go func() { n.ran <- n.Run() }()
	waitFor(t, "MASTER", func() bool { return n.State() == elect.Master })
	n.Stop()
	for _, want := range []string{`INSTANCE "VI_1" MASTER 255`, `INSTANCE "VI_1" STOP 255`} {
		select {
		case got := <-fifoLines:
			if got != want {
				t.Fatalf("fifo %q, want %q", got, want)
			}
		case <-time.After(settle):
			t.Fatalf("no fifo line %q", want)
		}
	}
	want := []string{"master", "any INSTANCE VI_1 MASTER 255", "stop", "any INSTANCE VI_1 STOP 255"}
	waitFor(t, "the four script runs", func() bool {
		b, _ := os.ReadFile(out)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			got = append(got, strings.TrimSpace(line))
		}
		slices.Sort(got)
		sorted := slices.Clone(want)
		slices.Sort(sorted)
		return slices.Equal(got, sorted)
	})
}

// TestTrackScriptMovesVIP: a failing vrrp_script with weight -60 takes the
// master's priority from 150 to 90, below the backup's 100, which takes over.
func TestTrackScriptMovesVIP(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	flag := filepath.Join(t.TempDir(), "healthy")
	os.WriteFile(flag, nil, 0o644)
	cfg := config("VI_1", 150)
	cfg.Tracks = []Track{{Name: "chk", Weight: -60}}
	a := l.start(0, cfg)
	b := l.start(1, config("VI_1", 100))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go track.RunScript(ctx, track.Script{Name: "chk", Interval: 50 * time.Millisecond,
		Cmd: notify.Script{Argv: []string{"/bin/sh", "-c", `test -e "$0"`, flag}}},
		func(ok bool) { a.SetTracked("chk", ok) }, func(string) {})
	waitFor(t, "node 1 MASTER", func() bool { return a.State() == elect.Master })
	l.onlyHolder(0)

	os.Remove(flag)
	waitFor(t, "node 2 MASTER", func() bool { return b.State() == elect.Master })
	l.onlyHolder(1)
	if !a.logged("(VI_1) Changing effective priority from 150 to 90") {
		t.Fatalf("no priority change logged:\n%s", a.log())
	}
	// Healthy again: 150 preempts 100.
	os.WriteFile(flag, nil, 0o644)
	l.onlyHolder(0)
}

// TestTrackInterfaceFault: a tracked interface (weight 0) going down puts
// the master in FAULT; it sends priority 0 and the backup takes over.
func TestTrackInterfaceFault(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	l.nodes[0].MustRun("ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
	l.nodes[0].MustRun("ip", "link", "set", "eth1", "up")
	l.nodes[0].MustRun("ip", "link", "set", "eth1p", "up")
	cfg := config("VI_1", 255)
	cfg.Tracks = []Track{{Name: "eth1"}}
	a := l.start(0, cfg)
	b := l.start(1, config("VI_1", 100))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := l.nodes[0].Do(func() error {
		return track.WatchLinks(ctx, []string{"eth1"}, func(name string, up bool) { a.SetTracked(name, up) })
	}); err != nil {
		t.Fatal(err)
	}
	l.onlyHolder(0)
	waitFor(t, "node 2 BACKUP", func() bool { return b.State() == elect.Backup })

	l.nodes[0].MustRun("ip", "link", "set", "eth1", "down")
	waitFor(t, "node 1 FAULT", func() bool { return a.State() == elect.Fault })
	l.onlyHolder(1)
	if !b.logged("(VI_1) Backup received priority 0 advertisement") {
		t.Fatalf("FAULT sent no priority 0:\n%s", b.log())
	}
	l.nodes[0].MustRun("ip", "link", "set", "eth1", "up")
	waitFor(t, "node 1 MASTER again", func() bool { return a.State() == elect.Master })
	l.onlyHolder(0)
}

// TestUseVMAC: with use_vmac the VIP lives on vrrp.51 with the virtual
// router MAC, so a client keeps the same neighbour entry across a failover
// and still reaches the VIP.
func TestUseVMAC(t *testing.T) {
	t.Parallel()
	l := newLab(t, 3)
	vcfg := func(prio uint8) Config {
		c := config("VI_1", prio)
		c.UseVMAC = true
		return c
	}
	a := l.start(0, vcfg(255))
	b := l.start(1, vcfg(100))
	client := l.nodes[2]
	onVMAC := func(k int) bool {
		out, _ := l.nodes[k].Run("ip", "-o", "addr", "show", "dev", "vrrp.51")
		return strings.Contains(out, " "+testVIP.String()+" ")
	}
	waitFor(t, "the VIP on node 1's vrrp.51", func() bool { return onVMAC(0) && !onVMAC(1) })
	if out := l.nodes[0].MustRun("ip", "-o", "link", "show", "vrrp.51"); !strings.Contains(out, "link/ether 00:00:5e:00:01:33") {
		t.Fatalf("vrrp.51 has not the virtual MAC:\n%s", out)
	}
	// (Once the backup answers, its replies may teach the client its
	// own MAC through ARP requests sent from eth0, as with the
	// reference: the entry is checked before that.)
	vipMAC := func() bool {
		client.Run("ping", "-c", "1", "-W", "1", testVIP.Addr().String())
		out := client.MustRun("ip", "neigh", "show", testVIP.Addr().String())
		return strings.Contains(out, "lladdr 00:00:5e:00:01:33")
	}
	waitFor(t, "the client resolving the VIP to the virtual MAC", vipMAC)
	for k, want := range map[string]string{"arp_ignore": "1", "arp_filter": "1"} {
		if got := strings.TrimSpace(l.nodes[0].MustRun("sysctl", "-n", "net.ipv4.conf.eth0."+k)); got != want {
			t.Errorf("eth0 %s = %s, want %s as the reference sets it", k, got, want)
		}
	}

	a.Stop()
	waitFor(t, "node 2 MASTER", func() bool { return b.State() == elect.Master })
	waitFor(t, "the VIP on node 2's vrrp.51", func() bool { return onVMAC(1) })
	if _, err := l.nodes[0].Run("ip", "link", "show", "vrrp.51"); err == nil {
		t.Fatal("the stopped instance left vrrp.51 behind")
	}
	if out := client.MustRun("ip", "neigh", "show", testVIP.Addr().String()); !strings.Contains(out, "lladdr 00:00:5e:00:01:33") {
		t.Fatalf("the client's neighbour entry changed: %s", out)
	}
	waitFor(t, "the client reaching the VIP on node 2", func() bool {
		_, err := client.Run("ping", "-c", "1", "-W", "1", testVIP.Addr().String())
		return err == nil
	})
}

// TestPrimaryInterfaceDown: the instance's own interface going down puts it
// in FAULT and takes its VIP away; back up, the owner is MASTER again.
func TestPrimaryInterfaceDown(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	a := l.start(0, config("VI_1", 255))
	b := l.start(1, config("VI_1", 100))
	l.onlyHolder(0)
	l.nodes[0].MustRun("ip", "link", "set", "eth0", "down")
	waitFor(t, "node 1 FAULT", func() bool { return a.State() == elect.Fault })
	waitFor(t, "node 2 MASTER", func() bool { return b.State() == elect.Master })
	l.onlyHolder(1)
	if !a.logged("Netlink reports eth0 down") {
		t.Fatalf("log:\n%s", a.log())
	}
	l.nodes[0].MustRun("ip", "link", "set", "eth0", "up")
	waitFor(t, "node 1 MASTER again", func() bool { return a.State() == elect.Master })
	l.onlyHolder(0)
}

package netns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// namePrefix starts every namespace this package creates. The creator's PID
// follows it, so a later run can tell leftovers of dead runs from the
// namespaces of runs still going and remove only the former.
const namePrefix = "fct-"

// runDir is where `ip netns add` pins named namespaces.
const runDir = "/var/run/netns"

var seq atomic.Uint32

// Bed is a set of namespaces and links owned by one test. Everything it
// creates is removed by t.Cleanup, which runs even when the test fails or
// panics.
type Bed struct {
	t  testing.TB
	id string // unique per Bed: "<pid>x<seq>"

	mu         sync.Mutex
	namespaces []*NS
}

// NS is one network namespace of a Bed.
type NS struct {
	Name string // the name given to `ip netns`
	bed  *Bed
}

// Available reports why privileged namespace tests cannot run here, or ""
// when they can.
func Available() string {
	if os.Geteuid() != 0 {
		return "network-namespace tests need root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "network-namespace tests need the ip command (Debian package iproute2)"
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return "this kernel has no network namespaces"
	}
	return ""
}

// New returns an empty Bed, or skips the test loudly when namespaces cannot
// be made on this machine.
func New(t testing.TB) *Bed {
	t.Helper()
	if why := Available(); why != "" {
		t.Skipf("SKIPPED (privileged): %s", why)
	}
	reapStale()
	b := &Bed{t: t, id: fmt.Sprintf("%dx%d", os.Getpid(), seq.Add(1))}
	t.Cleanup(b.Close)
	return b
}

// reapStale removes namespaces left by earlier runs whose process is gone
// (a run killed before its cleanup could happen).
func reapStale() {
	entries, _ := os.ReadDir(runDir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), namePrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "x")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if unix.Kill(pid, 0) == unix.ESRCH {
			_ = exec.Command("ip", "netns", "del", e.Name()).Run()
		}
	}
}

// Add creates a namespace whose loopback is up. label is a short tag that
// makes failures readable; the real name is unique per run.
func (b *Bed) Add(label string) *NS {
	b.t.Helper()
	b.mu.Lock()
	name := fmt.Sprintf("%s%s-%d-%s", namePrefix, b.id, len(b.namespaces), label)
	b.mu.Unlock()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	ns := &NS{Name: name, bed: b}
	b.mu.Lock()
	b.namespaces = append(b.namespaces, ns)
	b.mu.Unlock()
	ns.MustRun("ip", "link", "set", "lo", "up")
	return ns
}

// Close deletes every namespace of the Bed. Links and bridges inside them go
// with them. It is safe to call more than once.
func (b *Bed) Close() {
	b.mu.Lock()
	namespaces := b.namespaces
	b.namespaces = nil
	b.mu.Unlock()
	for _, ns := range namespaces {
		if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
			b.t.Logf("netns cleanup: ip netns del %s: %v: %s", ns.Name, err, out)
		}
	}
}

// Veth joins a and b with a veth pair named ifA inside a and ifB inside b,
// gives each end its address (CIDR form, "" for none) and sets both up.
// The pair is created inside a, so no interface ever appears in the host's
// namespace.
func (b *Bed) Veth(a *NS, ifA, addrA string, c *NS, ifB, addrB string) {
	b.t.Helper()
	a.MustRun("ip", "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", c.Name)
	a.up(ifA, addrA)
	c.up(ifB, addrB)
}

// Bridge creates a namespace holding a bridge and connects each member to it
// with a veth pair: inside the member the interface is named ifName and has
// the matching address from addrs (CIDR form). It returns the hub namespace.
func (b *Bed) Bridge(ifName string, members []*NS, addrs []string) *NS {
	b.t.Helper()
	if len(members) != len(addrs) {
		b.t.Fatalf("netns.Bridge: %d members but %d addresses", len(members), len(addrs))
	}
	hub := b.Add("hub")
	hub.MustRun("ip", "link", "add", "br0", "type", "bridge")
	// No STP or forwarding delay: ports must forward at once for tests.
	hub.MustRun("ip", "link", "set", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0")
	hub.MustRun("ip", "link", "set", "br0", "up")
	for i, m := range members {
		port := fmt.Sprintf("p%d", i)
		b.Veth(hub, port, "", m, ifName, addrs[i])
		hub.MustRun("ip", "link", "set", port, "master", "br0")
	}
	return hub
}

func (ns *NS) up(ifName, addr string) {
	if addr != "" {
		ns.MustRun("ip", "addr", "add", addr, "dev", ifName)
	}
	ns.MustRun("ip", "link", "set", ifName, "up")
}

// Command returns an exec.Cmd that runs name with args inside the namespace.
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its combined output.
func (ns *NS) Run(name string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := ns.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// MustRun is Run that fails the test on error.
func (ns *NS) MustRun(name string, args ...string) string {
	ns.bed.t.Helper()
	out, err := ns.Run(name, args...)
	if err != nil {
		ns.bed.t.Fatalf("in %s: %s %s: %v\n%s", ns.Name, name, strings.Join(args, " "), err, out)
	}
	return out
}

// Do runs fn on an OS thread switched into the namespace. Sockets that fn
// opens belong to the namespace for their whole life, even after Do
// returns, so fn may hand them out.
func (ns *NS) Do(fn func() error) error {
	target, err := os.Open(filepath.Join(runDir, ns.Name))
	if err != nil {
		return err
	}
	defer target.Close()

	errc := make(chan error, 1)
	go func() {
		// A fresh goroutine locked to its thread: if switching back fails
		// the goroutine exits still locked and the runtime discards the
		// thread instead of reusing it in the wrong namespace.
		runtime.LockOSThread()
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		orig, err := os.Open(self)
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		fnErr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(fnErr, fmt.Errorf("setns back: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- fnErr
	}()
	return <-errc
}

package vip

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/vip/elect"
	"fulcrum/vip/notify"
)

// refNode is the real Keepalived running in one of the lab's namespaces.
type refNode struct {
	t              testing.TB
	cmd            *exec.Cmd
	dir            string // configuration and pid files
	done           chan struct{}
	reftest.Output // the process's stdout and stderr
}

func (r *refNode) log() string { return r.String() }

func (r *refNode) logged(s string) bool { return strings.Contains(r.log(), s) }

// stop sends SIGTERM to the process we started (by its PID) and waits.
func (r *refNode) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(settle):
		r.cmd.Process.Kill()
		<-r.done
	}
}

// dump sends sig to the reference started with lab.privateTmp and returns
// the file it writes into its own /tmp (name such as keepalived.stats).
func (r *refNode) dump(sig syscall.Signal, name string) string {
	r.t.Helper()
	var out []byte
	waitFor(r.t, "the reference's "+name, func() bool {
		r.cmd.Process.Signal(sig)
		var err error
		out, err = exec.Command("nsenter", "-m", "-t", strconv.Itoa(r.cmd.Process.Pid), "cat", "/tmp/"+name).Output()
		return err == nil && len(out) > 0
	})
	return string(out)
}

// killVRRP SIGKILLs the reference's VRRP child process (by the PID in its
// pid file), the way a crashed keepalived leaves its VIPs and sends no
// priority-0 advertisement.
func (r *refNode) killVRRP() {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "vrrp.pid"))
	if err != nil {
		r.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		r.t.Fatalf("vrrp pid file: %q", b)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
}

// startReference runs /usr/sbin/keepalived with one instance like config's
// in the k-th namespace, its pid files in a temporary directory.
func (l *lab) startReference(k int, prio int) *refNode {
	l.t.Helper()
	bin := reftest.Keepalived(l.t)
	dir := l.t.TempDir()
	if l.privateTmp {
		// /tmp is about to be hidden: keep the files elsewhere.
		var err error
		if dir, err = os.MkdirTemp("/run", "fct-keepalived-"); err != nil {
			l.t.Fatal(err)
		}
		l.t.Cleanup(func() { os.RemoveAll(dir) })
	}
	conf := filepath.Join(dir, "keepalived.conf")
	auth := `
	authentication {
		auth_type PASS
		auth_pass s3cr3t
	}`
	if l.vip.Addr().Is6() {
		auth = "" // VRRPv3 has none
	}
	text := fmt.Sprintf(`global_defs {
	router_id ref%d
	%s
}
vrrp_instance VI_1 {
	state BACKUP
	interface eth0
	virtual_router_id 51
	priority %d
	advert_int 1%s
	%s
	virtual_ipaddress {
		%s
	}
}
`, k+1, l.refGlobal, prio, auth, l.refInstance, l.vip)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		l.t.Fatal(err)
	}
	r := &refNode{t: l.t, dir: dir, done: make(chan struct{})}
	// -R: a killed VRRP child is not respawned.
	r.cmd = l.nodes[k].Command(bin, "-n", "-l", "-D", "-P", "-G", "-R", "-f", conf,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"),
		"-c", filepath.Join(dir, "checkers.pid"))
	if l.privateTmp {
		// The reference writes its dumps to the fixed /tmp/keepalived.*:
		// give it a /tmp of its own so the host's is never touched.
		r.cmd.Args = append([]string{"unshare", "-m", "--propagation", "private", "sh", "-c",
			`mount -t tmpfs tmpfs /tmp && exec "$@"`, "sh"}, r.cmd.Args...)
		r.cmd.Path, _ = exec.LookPath("unshare")
	}
	r.cmd.Stdout, r.cmd.Stderr = r, r
	if err := r.cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	l.t.Cleanup(func() {
		r.stop()
		if l.t.Failed() {
			l.t.Logf("reference keepalived on node %d:\n%s", k+1, r.log())
		}
	})
	return r
}

// vipLine is the k-th namespace's `ip addr` line for the VIP, without the
// interface index.
func (l *lab) vipLine(k int) string {
	out, _ := l.nodes[k].Run("ip", "-o", "addr", "show", "dev", "eth0")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " "+l.vip.String()+" ") {
			_, rest, _ := strings.Cut(line, ": ")
			return strings.Join(strings.Fields(rest), " ")
		}
	}
	return ""
}

// refAccepted fails when the reference complained about our packets.
func refAccepted(t *testing.T, r *refNode) {
	t.Helper()
	for _, bad := range []string{"invalid", "Invalid", "mismatch", "wrong version", "too short", "too long", "Expected", "not a unicast peer"} {
		if r.logged(bad) {
			t.Fatalf("the reference rejected our advertisements (%q):\n%s", bad, r.log())
		}
	}
}

// TestInteropOursPreemptsReference: the reference is MASTER first; ours,
// with a higher priority, takes the VIP; when ours stops gracefully the
// reference takes it back after its skew.
func TestInteropOursPreemptsReference(t *testing.T) {
	t.Parallel()
	oursPreemptsReference(t, newLab(t, 2), config("VI_1", 150), "10.213.0.1")
}

// TestInteropUnicast: the same with unicast peers instead of multicast.
func TestInteropUnicast(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	l.refInstance = "unicast_src_ip 10.213.0.2\n\tunicast_peer {\n\t\t10.213.0.1\n\t}"
	cfg := config("VI_1", 150)
	cfg.UnicastPeers = []netip.Addr{netip.MustParseAddr("10.213.0.2")}
	oursPreemptsReference(t, l, cfg, "10.213.0.1")
}

// TestInteropIPv6: the same over VRRPv3 and IPv6.
func TestInteropIPv6(t *testing.T) {
	t.Parallel()
	oursPreemptsReference(t, newLab6(t, 2), config6("VI_1", 150), "fe80::")
}

// oursPreemptsReference runs the reference (priority 100) on node 2, then
// ours (cfg, priority 150, advertising from an address starting with
// oursAddr) on node 1, then stops ours.
func oursPreemptsReference(t *testing.T, l *lab, cfg Config, oursAddr string) {
	ref := l.startReference(1, 100)
	waitFor(t, "the reference MASTER", func() bool { return ref.logged("(VI_1) Entering MASTER STATE") })
	l.onlyHolder(1)

	refLine := l.vipLine(1)
	ours := l.start(0, cfg)
	waitFor(t, "ours MASTER", func() bool { return ours.State() == elect.Master })
	l.onlyHolder(0)
	// The address is configured exactly as the reference configures it.
	if ourLine := l.vipLine(0); ourLine != refLine {
		t.Errorf("VIP configured as\n  %s\nthe reference's\n  %s", ourLine, refLine)
	}
	waitFor(t, "the reference yielding", func() bool {
		return ref.logged("(VI_1) Master received advert from "+oursAddr) &&
			ref.logged("with higher priority 150, ours 100")
	})
	if s := ours.Stats(); s.Received == 0 || s.Reasons != [len(s.Reasons)]uint64{} {
		t.Fatalf("ours did not accept the reference's adverts: %+v\n%s", s, ours.log())
	}

	ours.Stop()
	waitFor(t, "the reference taking over on priority 0", func() bool {
		return ref.logged("(VI_1) Backup received priority 0 advertisement") &&
			strings.Count(ref.log(), "(VI_1) Entering MASTER STATE") == 2
	})
	l.onlyHolder(1)
	refAccepted(t, ref)
}

// TestInteropReferencePreemptsOurs: ours is MASTER first; the reference,
// with a higher priority, takes the VIP; when it stops (SIGTERM) ours takes
// it back on its priority-0 advertisement.
func TestInteropReferencePreemptsOurs(t *testing.T) {
	t.Parallel()
	l := newLab(t, 2)
	ours := l.start(1, config("VI_1", 100))
	waitFor(t, "ours MASTER", func() bool { return ours.State() == elect.Master })
	l.onlyHolder(1)

	ref := l.startReference(0, 150)
	waitFor(t, "the reference MASTER", func() bool { return ref.logged("(VI_1) Entering MASTER STATE") })
	waitFor(t, "ours BACKUP", func() bool { return ours.State() == elect.Backup })
	l.onlyHolder(0)
	if !ours.logged("(VI_1) Master received advert from 10.213.0.1 with higher priority 150, ours 100") {
		t.Fatalf("ours yielded for another reason:\n%s", ours.log())
	}
	if !ref.logged("(VI_1) Received advert from 10.213.0.2 with lower priority 100, ours 150") &&
		!ref.logged("(VI_1) received lower priority (100) advert from 10.213.0.2 - discarding") {
		t.Fatalf("the reference did not hear ours:\n%s", ref.log())
	}

	ref.stop()
	waitFor(t, "ours MASTER again", func() bool { return ours.State() == elect.Master })
	if !ours.logged("(VI_1) Backup received priority 0 advertisement") {
		t.Fatalf("ours took over without the reference's priority 0:\n%s", ours.log())
	}
	l.onlyHolder(1)
	if s := ours.Stats(); s.Received == 0 || s.Reasons != [len(s.Reasons)]uint64{} {
		t.Fatalf("ours rejected reference adverts: %+v", s)
	}
	refAccepted(t, ref)
}

// TestNotifyFIFOLikeReference: an owner (priority 255) configured with
// state BACKUP waits in BACKUP before becoming MASTER, and its notify_fifo
// lines (BACKUP, MASTER, STOP) are the reference's.
func TestNotifyFIFOLikeReference(t *testing.T) {
	t.Parallel()
	run := func(ours bool) []string {
		l := newLab(t, 1)
		path := filepath.Join(t.TempDir(), "fifo")
		fifo, err := notify.OpenFIFO(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fifo.Close()
		lines := make(chan string, 16)
		go func() {
			rd, err := os.Open(path)
			if err != nil {
				return
			}
			defer rd.Close()
			for sc := bufio.NewScanner(rd); sc.Scan(); {
				lines <- sc.Text()
			}
		}()
		next := func() string {
			select {
			case s := <-lines:
				return s
			case <-time.After(settle):
				t.Fatal("no notify_fifo line")
			}
			return ""
		}
		var got []string
		if ours {
			cfg := config("VI_1", 255)
			cfg.InitialMaster = false // state BACKUP
			n := &node{ran: make(chan error, 1)}
			if err := l.nodes[0].Do(func() (err error) { n.Instance, err = Open(cfg, Options{FIFO: fifo}); return err }); err != nil {
				t.Fatal(err)
			}
			go func() { n.ran <- n.Run() }()
			got = append(got, next(), next())
			n.Stop()
		} else {
			l.refGlobal = "notify_fifo " + path
			ref := l.startReference(0, 255)
			got = append(got, next(), next())
			ref.stop()
		}
		return append(got, next())
	}
	ours, ref := run(true), run(false)
	want := []string{`INSTANCE "VI_1" BACKUP 255`, `INSTANCE "VI_1" MASTER 255`, `INSTANCE "VI_1" STOP 255`}
	if !slices.Equal(ref, want) {
		t.Fatalf("the reference wrote %q, this test expects %q", ref, want)
	}
	if !slices.Equal(ours, ref) {
		t.Fatalf("ours wrote %q, the reference %q", ours, ref)
	}
}

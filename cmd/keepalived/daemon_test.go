package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/netns"
	"fulcrum/internal/reftest"
)

// patience bounds every wait for something the daemons must do; it is a
// failure bound, not a performance threshold (protocol timings here are a
// few seconds).
const patience = 20 * time.Second

// node is one keepalived process (ours or the reference) a test started
// in a namespace; it is ended by its PID only.
type node struct {
	t              *testing.T
	name           string
	ns             *netns.NS
	dir            string
	conf           string
	cmd            *exec.Cmd
	done           chan struct{}
	exit           int
	reftest.Output // the process's stdout and stderr
}

func (n *node) log() string { return n.String() }

// vrrpConf is one VI_1 (VRID 51, PASS auth, VIP 10.77.0.100/24 on eth0)
// with the given priority and more lines inVI1, plus extra blocks.
func vrrpConf(prio int, inVI1, extra string) string {
	return fmt.Sprintf(`global_defs {
	router_id node%d
}
vrrp_instance VI_1 {
	state BACKUP
	interface eth0
	virtual_router_id 51
	priority %d
	advert_int 1
	authentication {
		auth_type PASS
		auth_pass s3cr3t
	}
	virtual_ipaddress {
		10.77.0.100/24
	}
%s
}
%s`, prio, prio, inVI1, extra)
}

// start runs bin with conf in ns, in the foreground with console logs and
// private pid files and dump directory.
func start(t *testing.T, name, bin string, ns *netns.NS, conf string, extra ...string) *node {
	t.Helper()
	// -D: the tests look for the reference's detailed lines.
	return startIn(t, t.TempDir(), name, []string{bin}, ns, conf, append([]string{"-D"}, extra...)...)
}

// startIn is start with the node's files in dir, running the command
// words cmd (the binary, or a wrapper such as unshare ending with it).
func startIn(t *testing.T, dir, name string, cmd []string, ns *netns.NS, conf string, extra ...string) *node {
	t.Helper()
	n := &node{t: t, name: name, ns: ns, dir: dir, conf: filepath.Join(dir, "keepalived.conf"), done: make(chan struct{})}
	n.writeConf(conf)
	args := append([]string{"-n", "-l", "-G", "-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"),
		"-c", filepath.Join(dir, "c.pid"), "-f", n.conf}, extra...)
	n.cmd = ns.Command(cmd[0], append(cmd[1:len(cmd):len(cmd)], args...)...)
	n.cmd.Env = append(os.Environ(), envDumpDir+"="+dir)
	n.cmd.Stdout, n.cmd.Stderr = n, n
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		n.cmd.Wait()
		n.exit = n.cmd.ProcessState.ExitCode()
		close(n.done)
	}()
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", n.name, n.log())
		}
	})
	return n
}

func (n *node) writeConf(text string) {
	if err := os.WriteFile(n.conf, []byte(text), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

// signal sends sig to the process we started.
func (n *node) signal(sig syscall.Signal) {
	if err := n.cmd.Process.Signal(sig); err != nil {
		n.t.Fatalf("%s: %v", n.name, err)
	}
}

// stop ends the process (SIGTERM, then SIGKILL if it does not end) and
// waits for it.
func (n *node) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(patience):
		n.cmd.Process.Kill()
		<-n.done
	}
}

// waitExit waits for the process to end and returns its exit code.
func (n *node) waitExit() int {
	select {
	case <-n.done:
		return n.exit
	case <-time.After(patience):
		n.t.Fatalf("%s did not exit", n.name)
		return -1
	}
}

// terminate sends SIGTERM and expects exit code 0, as the reference.
func (n *node) terminate() {
	n.t.Helper()
	n.signal(syscall.SIGTERM)
	if code := n.waitExit(); code != 0 {
		n.t.Errorf("%s: exit %d after SIGTERM, want 0", n.name, code)
	}
}

// waitLog waits until the log holds s after offset from.
func (n *node) waitLog(from int, s string) {
	n.t.Helper()
	waitFor(n.t, n.name+" logs "+s, func() bool { return strings.Contains(n.log()[from:], s) })
}

// hasVIP reports whether the node's namespace holds the VIP.
func (n *node) hasVIP() bool {
	out, _ := n.ns.Run("ip", "-4", "-br", "addr", "show", "dev", "eth0")
	return strings.Contains(out, "10.77.0.100/24")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pair is two namespaces on one bridge, eth0 10.77.0.1 and .2.
func pair(t *testing.T) (a, b *netns.NS) {
	bed := netns.New(t)
	a, b = bed.Add("a"), bed.Add("b")
	bed.Bridge("eth0", []*netns.NS{a, b}, []string{"10.77.0.1/24", "10.77.0.2/24"})
	return a, b
}

const masterLine = "(VI_1) Entering MASTER STATE"

// exactlyOne checks the VIP is on master and not on backup.
func exactlyOne(t *testing.T, master, backup *node) {
	t.Helper()
	waitFor(t, "VIP on "+master.name+" only", func() bool { return master.hasVIP() && !backup.hasVIP() })
}

// TestDaemonElectReloadStop: two of our daemons elect the higher
// priority; SIGHUP with an added instance keeps VI_1 as it is (no state
// change, VIP stays) and starts the new one; SIGTERM sends priority 0,
// removes the VIP and the pid files, and the backup takes over.
func TestDaemonElectReloadStop(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ours := reftest.Ours(t, "keepalived")
	nsA, nsB := pair(t)
	stopMark := filepath.Join(t.TempDir(), "stopped")
	notifyStop := "\tnotify_stop \"/bin/touch " + stopMark + "\""
	a := start(t, "A", ours, nsA, vrrpConf(150, notifyStop, ""))
	b := start(t, "B", ours, nsB, vrrpConf(100, "", ""))
	a.waitLog(0, masterLine)
	exactlyOne(t, a, b)
	a.checkDumps()
	if strings.Contains(b.log(), masterLine) {
		t.Fatal("the lower priority node became MASTER too")
	}
	for _, f := range []string{"k.pid", "v.pid"} {
		if got, _ := os.ReadFile(filepath.Join(a.dir, f)); strings.TrimSpace(string(got)) != fmt.Sprint(a.cmd.Process.Pid) {
			t.Errorf("%s holds %q, want our pid %d", f, got, a.cmd.Process.Pid)
		}
	}

	// Reload: VI_1 unchanged, VI_2 new.
	mark := len(a.log())
	vi2 := `vrrp_instance VI_2 {
	state BACKUP
	interface eth0
	virtual_router_id 52
	priority 100
	advert_int 1
	virtual_ipaddress {
		10.77.0.200/24
	}
}
`
	a.writeConf(vrrpConf(150, notifyStop, vi2))
	a.signal(syscall.SIGHUP)
	a.waitLog(mark, "Reload complete")
	a.waitLog(mark, "(VI_2) Entering BACKUP STATE")
	// VI_1 keeps being MASTER: B must hear it all along, so B never
	// times out; wait until VI_2 (a fresh instance) has had longer than
	// VI_1's Master_Down_Interval to become MASTER, then look.
	a.waitLog(mark, "(VI_2) Entering MASTER STATE")
	if after := a.log()[mark:]; strings.Contains(after, "(VI_1) Entering") || strings.Contains(after, "(VI_1) removing VIPs") {
		t.Errorf("VI_1 changed state on a reload that did not change it:\n%s", after)
	}
	if !a.hasVIP() || strings.Contains(b.log(), masterLine) {
		t.Errorf("VI_1's VIP moved during the reload (A has it: %v)", a.hasVIP())
	}

	// Reload without VI_2: it releases its address.
	mark = len(a.log())
	a.writeConf(vrrpConf(150, notifyStop, ""))
	a.signal(syscall.SIGHUP)
	a.waitLog(mark, "(VI_2) removing VIPs")
	a.waitLog(mark, "Reload complete")
	if out := a.ns.MustRun("ip", "-br", "addr"); strings.Contains(out, "10.77.0.200") || !a.hasVIP() {
		t.Errorf("after removing VI_2: %s", out)
	}

	// Stop: priority 0, VIP released, notify_stop run, B takes over.
	markB := len(b.log())
	a.terminate()
	if !strings.Contains(a.log(), "(VI_1) sent 0 priority") {
		t.Error("no priority-0 advertisement logged")
	}
	b.waitLog(markB, masterLine)
	exactlyOne(t, b, a)
	waitFor(t, "notify_stop ran", func() bool { _, err := os.Stat(stopMark); return err == nil })
	for _, f := range []string{"k.pid", "v.pid"} {
		if _, err := os.Stat(filepath.Join(a.dir, f)); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
}

// checkDumps sends the dump signals to a MASTER running VI_1 and reads
// the files they write in its dump directory.
func (n *node) checkDumps() {
	n.t.Helper()
	for _, d := range []struct {
		sig  syscall.Signal
		file string
		want []string
	}{
		{syscall.SIGUSR1, "keepalived.data", []string{"------< VRRP Topology >------", " VRRP Instance = VI_1", "   State = MASTER", "10.77.0.100/24 dev eth0 scope global set"}},
		{syscall.SIGUSR2, "keepalived.stats", []string{"VRRP Instance: VI_1\n  Advertisements:", "  Became master: 1\n"}},
		{sigJSON, "keepalived.json", []string{`"iname":"VI_1"`, `"state":2`}},
	} {
		path := filepath.Join(n.dir, d.file)
		n.signal(d.sig)
		waitFor(n.t, d.file+" written", func() bool { _, err := os.Stat(path); return err == nil })
		b, _ := os.ReadFile(path)
		for _, w := range d.want {
			if !strings.Contains(string(b), w) {
				n.t.Errorf("%s lacks %q:\n%s", d.file, w, b)
			}
		}
	}
}

// TestDaemonKilledMasterFailsOver: SIGKILL of the master (no priority 0)
// moves the VIP to the backup after Master_Down_Interval; the backup's
// notify_fifo gets its BACKUP and MASTER lines.
func TestDaemonKilledMasterFailsOver(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ours := reftest.Ours(t, "keepalived")
	nsA, nsB := pair(t)
	fifoPath := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifoPath, 0o600); err != nil {
		t.Fatal(err)
	}
	fifo, err := os.OpenFile(fifoPath, os.O_RDWR, 0) // read-write: never blocks
	if err != nil {
		t.Fatal(err)
	}
	defer fifo.Close()
	var fifoMu sync.Mutex
	var fifoText strings.Builder
	go func() {
		buf := make([]byte, 512)
		for {
			k, err := fifo.Read(buf)
			if err != nil {
				return
			}
			fifoMu.Lock()
			fifoText.Write(buf[:k])
			fifoMu.Unlock()
		}
	}()
	a := start(t, "A", ours, nsA, vrrpConf(150, "", ""))
	b := start(t, "B", ours, nsB, strings.Replace(vrrpConf(100, "", ""), "global_defs {\n", "global_defs {\n\tnotify_fifo "+fifoPath+"\n", 1))
	a.waitLog(0, masterLine)
	exactlyOne(t, a, b)
	a.signal(syscall.SIGKILL)
	a.waitExit()
	b.waitLog(0, masterLine)
	waitFor(t, "VIP on B", b.hasVIP)
	want := "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n"
	waitFor(t, "notify_fifo lines", func() bool {
		fifoMu.Lock()
		defer fifoMu.Unlock()
		return fifoText.String() == want
	})
	if !strings.Contains(b.log(), "(VI_1) Receive advertisement timeout") {
		t.Error("B took over without the advertisement timeout")
	}
}

// TestDaemonInterop runs our daemon next to the real keepalived with the
// same configuration text, each as MASTER in turn, over multicast and
// over unicast peers; the VIP is on exactly one of them and SIGTERM hands
// it to the other.
func TestDaemonInterop(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ref := reftest.Keepalived(t)
	ours := reftest.Ours(t, "keepalived")
	// unicast gives node k (10.77.0.k+1) its source and the other as peer.
	unicast := func(k int) string {
		return fmt.Sprintf("\tunicast_src_ip 10.77.0.%d\n\tunicast_peer {\n\t\t10.77.0.%d\n\t}", k+1, 2-k)
	}
	for _, tc := range []struct {
		desc         string
		oursIsMaster bool
		unicast      bool
	}{
		{desc: "ours master", oursIsMaster: true},
		{desc: "reference master", oursIsMaster: false},
		{desc: "unicast ours master", oursIsMaster: true, unicast: true},
		{desc: "unicast reference master", oursIsMaster: false, unicast: true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			nsA, nsB := pair(t)
			hiBin, loBin, hiName, loName := ours, ref, "ours", "reference"
			if !tc.oursIsMaster {
				hiBin, loBin, hiName, loName = ref, ours, "reference", "ours"
			}
			inA, inB := "", ""
			if tc.unicast {
				inA, inB = unicast(0), unicast(1)
			}
			// -P: VRRP only.
			hi := start(t, hiName, hiBin, nsA, vrrpConf(150, inA, ""), "-P")
			lo := start(t, loName, loBin, nsB, vrrpConf(100, inB, ""), "-P")
			hi.waitLog(0, masterLine)
			exactlyOne(t, hi, lo)
			if strings.Contains(lo.log(), masterLine) {
				t.Fatalf("%s became MASTER next to a higher priority", loName)
			}
			hi.terminate()
			lo.waitLog(0, masterLine)
			exactlyOne(t, lo, hi)
		})
	}
}

// TestDaemonWarnsUnbuilt: what the daemon reads but does not act on is a
// WARNING with file:line at start.
func TestDaemonWarnsUnbuilt(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ours := reftest.Ours(t, "keepalived")
	bed := netns.New(t)
	ns := bed.Add("w")
	n := start(t, "ours", ours, ns, "global_defs {\n    lvs_flush\n}\n")
	n.waitLog(0, "Startup complete")
	want := n.conf + ":2: WARNING: 'global_defs/lvs_flush'"
	if !strings.Contains(n.log(), want) {
		t.Errorf("no %q in the start-up log", want)
	}
	n.terminate()
}

// TestDaemonDetaches: without -n the command returns at once and the
// daemon, found by its pid file, runs VRRP and stops on SIGTERM, removing
// the pid file.
func TestDaemonDetaches(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ours := reftest.Ours(t, "keepalived")
	bed := netns.New(t)
	ns := bed.Add("d")
	bed.Bridge("eth0", []*netns.NS{ns}, []string{"10.77.0.1/24"})
	dir := t.TempDir()
	conf, pidFile := filepath.Join(dir, "keepalived.conf"), filepath.Join(dir, "k.pid")
	os.WriteFile(conf, []byte(vrrpConf(150, "", "")), 0o644)
	cmd := ns.Command(ours, "-G", "-p", pidFile, "-r", filepath.Join(dir, "v.pid"), "-f", conf)
	cmd.Env = append(os.Environ(), envDumpDir+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var pid int
	waitFor(t, "pid file", func() bool {
		b, _ := os.ReadFile(pidFile)
		_, err := fmt.Sscan(string(b), &pid)
		return err == nil && pid > 0
	})
	stop := func() { syscall.Kill(pid, syscall.SIGTERM) }
	t.Cleanup(func() {
		if syscall.Kill(pid, 0) == nil {
			stop()
		}
	})
	n := &node{t: t, ns: ns}
	waitFor(t, "VIP on the detached daemon", n.hasVIP)
	stop()
	waitFor(t, "pid file removed", func() bool { _, err := os.Stat(pidFile); return err != nil })
	if n.hasVIP() {
		t.Error("VIP still held after SIGTERM")
	}
}

// TestDaemonTrackScript: a failing track_script lowers the MASTER's
// priority below the backup's, which takes the VIP; a reload that changes
// nothing keeps the script's failed state (no priority change, no flap).
func TestDaemonTrackScript(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ours := reftest.Ours(t, "keepalived")
	nsA, nsB := pair(t)
	dir := t.TempDir()
	healthy, runs, check := filepath.Join(dir, "healthy"), filepath.Join(dir, "runs"), filepath.Join(dir, "check.sh")
	os.WriteFile(healthy, nil, 0o644)
	os.WriteFile(check, []byte("#!/bin/sh\necho run >> "+runs+"\ntest -e "+healthy+"\n"), 0o755)
	script := "vrrp_script chk {\n\tscript " + check + "\n\tinterval 1\n\tweight -60\n}\n"
	confA := script + vrrpConf(150, "\ttrack_script {\n\t\tchk\n\t}", "")
	a := start(t, "A", ours, nsA, confA)
	b := start(t, "B", ours, nsB, vrrpConf(100, "", ""))
	a.waitLog(0, masterLine)
	exactlyOne(t, a, b)

	os.Remove(healthy)
	b.waitLog(0, masterLine)
	exactlyOne(t, b, a)
	a.waitLog(0, "Changing effective priority from 150 to 90")

	mark := len(a.log())
	a.signal(syscall.SIGHUP)
	a.waitLog(mark, "Reload complete")
	count := func() int { out, _ := os.ReadFile(runs); return strings.Count(string(out), "run") }
	seen := count()
	waitFor(t, "two more script runs after the reload", func() bool { return count() >= seen+2 })
	if after := a.log()[mark:]; strings.Contains(after, "Changing effective priority") || strings.Contains(after, "(VI_1) Entering") {
		t.Errorf("reload changed the tracked state:\n%s", after)
	}
	if !b.hasVIP() || a.hasVIP() {
		t.Error("the VIP moved on reload")
	}
}

// TestDumpsMatchReference: for the same configuration as MASTER, each
// line of our keepalived.data (but the transition time) is in the
// reference's, in the same order; our keepalived.json has the reference's
// keys with the same values (but times and counters). The reference
// writes in /tmp: it runs with a private /tmp, read through
// /proc/PID/root.
func TestDumpsMatchReference(t *testing.T) {
	t.Parallel() // namespaces and files of its own; mostly waiting on protocol timers
	ref := reftest.Keepalived(t)
	ours := reftest.Ours(t, "keepalived")
	bed := netns.New(t)
	ns := bed.Add("d")
	bed.Bridge("eth0", []*netns.NS{ns}, []string{"10.77.0.1/24"})
	// dumps returns n's keepalived.data lines and keepalived.json, read in
	// dir, then stops n.
	dumps := func(n *node, dir string) ([]string, []byte) {
		n.waitLog(0, masterLine)
		b, _ := os.ReadFile(filepath.Join(n.dir, "v.pid"))
		var vrrpPid int
		fmt.Sscan(string(b), &vrrpPid)
		var data, js []byte
		for _, d := range []struct {
			sig      syscall.Signal
			file     string
			complete string
			into     *[]byte
		}{
			{syscall.SIGUSR1, "keepalived.data", "------< VRRP Topology >------", &data},
			{sigJSON, "keepalived.json", "]", &js},
		} {
			syscall.Kill(vrrpPid, d.sig)
			waitFor(t, d.file, func() bool {
				*d.into, _ = os.ReadFile(filepath.Join(dir, d.file))
				return bytes.Contains(*d.into, []byte(d.complete))
			})
		}
		n.terminate()
		return strings.Split(strings.TrimRight(string(data), "\n"), "\n"), js
	}
	// Without -D: the log is compared as the reference writes it by default.
	mine := startIn(t, t.TempDir(), "ours", []string{ours}, ns, vrrpConf(150, "", ""))
	got, gotJSON := dumps(mine, mine.dir)

	dir, err := os.MkdirTemp("/run", "fct-kad-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	privateTmp := []string{"unshare", "-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs tmpfs /tmp && exec "$0" "$@"`, ref}
	theirs := startIn(t, dir, "reference", privateTmp, ns, vrrpConf(150, "", ""))
	want, wantJSON := dumps(theirs, fmt.Sprintf("/proc/%d/root/tmp", theirs.cmd.Process.Pid))

	inOrder(t, "dump", got, want, func(line string) bool { return strings.HasPrefix(line, "   Last transition = ") })
	// The logs of the same run (start alone, MASTER, dumps, SIGTERM).
	// "Starting VRRP child process" and "Startup complete": the
	// reference's parent writes them while its VRRP child starts, before
	// or after the child's first state line by chance.
	inOrder(t, "log", logLines(mine.log(), mine.conf), logLines(theirs.log(), theirs.conf),
		func(line string) bool {
			return line == "Startup complete" || strings.HasPrefix(line, "Starting VRRP child process")
		})

	type entry struct{ Data, Stats map[string]any }
	var g, w []entry
	if err := json.Unmarshal(gotJSON, &g); err != nil || len(g) != 1 {
		t.Fatalf("our JSON: %v: %s", err, gotJSON)
	}
	if err := json.Unmarshal(wantJSON, &w); err != nil || len(w) != 1 {
		t.Fatalf("reference JSON: %v: %s", err, wantJSON)
	}
	for key, v := range w[0].Data {
		if gv, ok := g[0].Data[key]; !ok || (key != "last_transition" && !reflect.DeepEqual(gv, v)) {
			t.Errorf("data %q: ours %v, reference %v", key, gv, v)
		}
	}
	for key := range w[0].Stats {
		if _, ok := g[0].Stats[key]; !ok {
			t.Errorf("stats %q missing", key)
		}
	}
}

// TestSystemdNotify: under the Debian unit (Type=notify) the daemon says
// READY=1 once started, RELOADING=1 and READY=1 around a SIGHUP reload
// and STOPPING=1 on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	ours := reftest.Ours(t, "keepalived")
	bed := netns.New(t)
	ns := bed.Add("s")
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	n := start(t, "ours", ours, ns, "global_defs {\n\trouter_id s\n}\n")
	next := func(want string) {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(patience))
		buf := make([]byte, 256)
		k, err := conn.Read(buf)
		if err != nil || string(buf[:k]) != want {
			t.Fatalf("notify %q (%v), want %q", buf[:k], err, want)
		}
	}
	next("READY=1")
	n.signal(syscall.SIGHUP)
	next("RELOADING=1")
	next("READY=1")
	n.terminate()
	next("STOPPING=1")
}

// logLines returns a console log without timestamps, with pids as N, the
// version as the reference's, the configuration file as CONF, and without
// the lines that name the command
// line or the process's resource use.
func logLines(log, conf string) []string {
	var out []string
	pid := regexp.MustCompile(`(pid=|process\()\d+`)
	for _, line := range strings.Split(log, "\n") {
		_, text, ok := strings.Cut(line, " 2026: ")
		if !ok {
			_, text, ok = strings.Cut(line, ": ")
		}
		if !ok || strings.HasPrefix(text, " ") || strings.HasPrefix(text, "Command line:") || strings.HasPrefix(text, "Running on ") ||
			strings.HasPrefix(text, "CPU usage") || strings.HasPrefix(text, "NOTICE: setting config option max_auto_priority") {
			continue
		}
		text = strings.ReplaceAll(text, "Keepalived v2.2.7 (Fulcrum)", "Keepalived v2.2.7 (01/16,2022)")
		text = strings.ReplaceAll(text, conf, "CONF")
		if strings.HasPrefix(text, "Stopped - used ") {
			text = "Stopped"
		}
		out = append(out, pid.ReplaceAllString(text, "${1}N"))
	}
	return out
}

// inOrder checks each of our lines (but those skipped) is one of the
// reference's, in the same order.
func inOrder(t *testing.T, what string, ours, ref []string, skip func(string) bool) {
	t.Helper()
	k := 0
	for _, line := range ours {
		if skip(line) {
			continue
		}
		for k < len(ref) && ref[k] != line {
			k++
		}
		if k == len(ref) {
			t.Errorf("our %s line %q is not in the reference's (in this order):\n%s", what, line, strings.Join(ref, "\n"))
			return
		}
	}
}

// TestDaemonBadInterface: an instance on an interface that does not exist
// stops the daemon at start with exit 2, as the reference.
func TestDaemonBadInterface(t *testing.T) {
	t.Parallel()
	ours := reftest.Ours(t, "keepalived")
	bed := netns.New(t)
	n := start(t, "ours", ours, bed.Add("i"), vrrpConf(100, "", ""))
	if code := n.waitExit(); code != 2 || !strings.Contains(n.log(), nonExistentInterface) {
		t.Errorf("exit %d, want 2 with %q", code, nonExistentInterface)
	}
}

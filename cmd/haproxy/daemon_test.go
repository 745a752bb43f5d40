package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// Integration tests of the daemon: our binary with a configuration from
// testdata/daemon, real TCP backends on loopback, signals sent by PID to
// the process the test started.

// idServer is a loopback backend that answers every connection with its
// name and closes it.
type idServer struct {
	name string
	ln   net.Listener
	wg   sync.WaitGroup
}

func startIDServer(t *testing.T, name string) *idServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &idServer{name: name, ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(name))
			c.Close()
		}
	}()
	t.Cleanup(s.stop)
	return s
}

func (s *idServer) addr() string { return s.ln.Addr().String() }

func (s *idServer) stop() { s.ln.Close(); s.wg.Wait() }

// freePort finds a loopback port nobody listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is one run of our binary.
type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer // stdout and stderr, interleaved
	done chan struct{}
	err  error
}

// binaries are the programs every daemon test runs: ours, and the
// reference when it is installed (the same test must pass for both).
func binaries(t *testing.T, test func(t *testing.T, bin string)) {
	t.Run("ours", func(t *testing.T) { test(t, reftest.Ours(t, "haproxy")) })
	t.Run("reference", func(t *testing.T) { test(t, reftest.HAProxy(t)) })
}

func startBin(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %v:\n%s", args, p.out.String())
		}
	})
	return p
}

func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// waitExit waits (bounded) for the process to end and returns its code.
func (p *proc) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("process did not exit")
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitFor polls cond until it holds, failing after a generous bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// ask connects through the proxy and returns what the backend said.
func ask(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// configCopy copies a testdata configuration to a file the test may edit.
func configCopy(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "daemon", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rrSetup starts four backends and the proxy (roundrobin.cfg uses three
// of them) and waits until it serves: under -W until the master says
// "Loading success.", otherwise until a connection goes through.
func rrSetup(t *testing.T, bin, mode string) (front string, servers []*idServer, p *proc, cfg, pidfile string) {
	port := freePort(t)
	env := []string{"FE_PORT=" + port}
	for i := 1; i <= 4; i++ {
		s := startIDServer(t, "s"+strconv.Itoa(i))
		servers = append(servers, s)
		env = append(env, "S"+strconv.Itoa(i)+"="+s.addr())
	}
	cfg = configCopy(t, "roundrobin.cfg")
	pidfile = filepath.Join(t.TempDir(), "haproxy.pid")
	front = "127.0.0.1:" + port
	p = startBin(t, bin, env, mode, "-f", cfg, "-p", pidfile)
	if mode == "-W" {
		waitFor(t, "Loading success", func() bool { return strings.Contains(p.out.String(), "Loading success.") })
	} else {
		waitFor(t, "the listener", func() bool { _, err := ask(front); return err == nil })
	}
	return front, servers, p, cfg, pidfile
}

func TestDaemonRoundRobinAndSoftStop(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		front, _, p, _, pidfile := rrSetup(t, bin, "-W")
		pid, _ := os.ReadFile(pidfile)
		if strings.TrimSpace(string(pid)) != strconv.Itoa(p.cmd.Process.Pid) {
			t.Errorf("pidfile holds %q, process is %d", pid, p.cmd.Process.Pid)
		}
		counts := map[string]int{}
		prev := ""
		for i := 0; i < 9; i++ {
			got, err := ask(front)
			if err != nil {
				t.Fatal(err)
			}
			if got == prev {
				t.Errorf("round robin sent connection %d to %s twice in a row", i, got)
			}
			prev = got
			counts[got]++
		}
		for _, s := range []string{"s1", "s2", "s3"} {
			if counts[s] != 3 {
				t.Errorf("%s got %d of 9 connections: %v", s, counts[s], counts)
			}
		}
		// option tcplog with a raw stdout target: one access line each.
		waitFor(t, "access log lines", func() bool { return strings.Count(p.out.String(), " app app/s") >= 9 })
		p.signal(t, syscall.SIGUSR1)
		if code := p.waitExit(t); code != 0 {
			t.Errorf("soft stop exit code %d", code)
		}
		for _, want := range []string{"Exiting Master process...", "Proxy app stopped (cumulated conns: FE: 9, BE: 9).",
			"Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0)."} {
			if !strings.Contains(p.out.String(), ") : "+want) {
				t.Errorf("missing %q", want)
			}
		}
	})
}

func TestDaemonReloadChangesServers(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		front, servers, p, cfg, _ := rrSetup(t, bin, "-W")
		if got, err := ask(front); err != nil || got == "s4" || got == "" {
			t.Fatalf("before reload got %q, %v", got, err)
		}
		data, err := os.ReadFile(filepath.Join("testdata", "daemon", "reloaded.cfg"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p.signal(t, syscall.SIGUSR2)
		waitFor(t, "the reload", func() bool { return strings.Count(p.out.String(), "Loading success.") == 2 })
		if !strings.Contains(p.out.String(), "Reloading HAProxy") {
			t.Error("no 'Reloading HAProxy' line")
		}
		// An old worker may take a last connection while it stops.
		waitFor(t, "s4 to serve", func() bool { got, _ := ask(front); return got == servers[3].name })
		for i := 0; i < 4; i++ {
			if got, err := ask(front); err != nil || got != servers[3].name {
				t.Fatalf("after reload connection %d got %q, %v; want s4", i, got, err)
			}
		}
		p.signal(t, syscall.SIGUSR1)
		if code := p.waitExit(t); code != 0 {
			t.Errorf("exit code %d", code)
		}
	})
}

func TestDaemonKilledBackendMarkedDown(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		front, servers, p, _, _ := rrSetup(t, bin, "-db")
		servers[1].stop()
		waitFor(t, "s2 marked DOWN", func() bool {
			return strings.Contains(p.out.String(), "Server app/s2 is DOWN, reason: Layer4 connection problem")
		})
		for i := 0; i < 6; i++ {
			if got, err := ask(front); err != nil || got == "s2" {
				t.Fatalf("connection %d got %q, %v after s2 went down", i, got, err)
			}
		}
		p.signal(t, syscall.SIGHUP)
		waitFor(t, "the state dump", func() bool { return strings.Contains(p.out.String(), "SIGHUP: Server app/s2 is DOWN.") })
		p.signal(t, syscall.SIGTERM)
		p.waitExit(t)
		if strings.Contains(p.out.String(), "Proxy app stopped") {
			t.Error("a hard stop printed the soft stop lines")
		}
	})
}

func TestDaemonSoftFinishTakesOver(t *testing.T) {
	binaries(t, func(t *testing.T, bin string) {
		front, servers, old, cfg, _ := rrSetup(t, bin, "-db")
		env := []string{"FE_PORT=" + strings.TrimPrefix(front, "127.0.0.1:")}
		for i, s := range servers {
			env = append(env, "S"+strconv.Itoa(i+1)+"="+s.addr())
		}
		next := startBin(t, bin, env, "-db", "-f", cfg, "-sf", strconv.Itoa(old.cmd.Process.Pid))
		if code := old.waitExit(t); code != 0 {
			t.Errorf("old process exit code %d", code)
		}
		if got, err := ask(front); err != nil || got == "" {
			t.Errorf("new process does not serve: %q, %v", got, err)
		}
		next.signal(t, syscall.SIGUSR1)
		if code := next.waitExit(t); code != 0 {
			t.Errorf("new process exit code %d", code)
		}
	})
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"fulcrum/internal/reftest"
)

// takeOverConfig has a stats socket that exposes the listeners (what -x
// reads) and one TCP listener.
const takeOverConfig = `global
    stats socket "${DIR}/admin.sock" mode 600 level admin expose-fd listeners
    nbthread 1
` + appSection

// listeningInode finds the inode of the socket a process listens on at
// port (from /proc/net/tcp and the process's descriptors).
func listeningInode(t *testing.T, pid int, port string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	want := fmt.Sprintf(":%04X", p)
	inodes := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(l)
		// local address, state 0A = LISTEN, inode
		if len(f) > 9 && strings.HasSuffix(f[1], want) && f[3] == "0A" {
			inodes[f[9]] = true
		}
	}
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, e := range ents {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if ino, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
			return strings.TrimSuffix(ino, "]")
		}
	}
	return ""
}

// TestTakeOverSockets: a new process started with -x on the old one's
// stats socket (and -sf) serves on the very socket the old one listened
// on, whichever binary is old and new; connections made all along the
// handover are all answered.
func TestTakeOverSockets(t *testing.T) {
	pairs := []struct{ desc, old, next string }{
		{"ours to ours", "ours", "ours"},
		{"reference to ours", "reference", "ours"},
		{"ours to reference", "ours", "reference"},
	}
	for _, pair := range pairs {
		t.Run(pair.desc, func(t *testing.T) {
			bin := map[string]string{"ours": reftest.Ours(t, "haproxy"), "reference": reftest.HAProxy(t)}
			dir := t.TempDir()
			cfg := filepath.Join(dir, "haproxy.cfg")
			if err := os.WriteFile(cfg, []byte(takeOverConfig), 0o644); err != nil {
				t.Fatal(err)
			}
			s := startIDServer(t, "s1")
			port := freePort(t)
			front := "127.0.0.1:" + port
			env := []string{"DIR=" + dir, "FE_PORT=" + port, "S1=" + s.addr()}
			old := startBin(t, bin[pair.old], env, "-db", "-f", cfg)
			waitFor(t, "the old process", func() bool { _, err := ask(front); return err == nil })
			inode := listeningInode(t, old.cmd.Process.Pid, port)
			if inode == "" {
				t.Fatal("no listening socket found for the old process")
			}
			stop := make(chan struct{})
			failed := make(chan int)
			go func() {
				n := 0
				for {
					select {
					case <-stop:
						failed <- n
						return
					default:
					}
					if got, err := ask(front); err != nil || got != "s1" {
						n++
					}
				}
			}()
			next := startBin(t, bin[pair.next], env, "-db", "-f", cfg, "-x", filepath.Join(dir, "admin.sock"), "-sf", strconv.Itoa(old.cmd.Process.Pid))
			if code := old.waitExit(t); code != 0 {
				t.Errorf("old process exit code %d", code)
			}
			close(stop)
			if n := <-failed; n > 0 {
				t.Errorf("%d connections failed during the handover", n)
			}
			if got := listeningInode(t, next.cmd.Process.Pid, port); got != inode {
				t.Errorf("new process listens on socket %q, the old one's was %q", got, inode)
			}
			if got, err := ask(front); err != nil || got != "s1" {
				t.Errorf("new process answers %q, %v", got, err)
			}
			next.signal(t, syscall.SIGUSR1)
			if code := next.waitExit(t); code != 0 {
				t.Errorf("new process exit code %d", code)
			}
		})
	}
}

// TestTakeOverFailure: -x on a socket nobody listens on, or one that
// does not expose its listeners: exit 1 with the reference's messages.
func TestTakeOverFailure(t *testing.T) {
	noExpose := strings.Replace(takeOverConfig, " expose-fd listeners", "", 1)
	pid := regexp.MustCompile(`\(\d+\)`)
	for _, c := range []struct{ desc, config string }{{"no socket", ""}, {"not exposed", noExpose}} {
		t.Run(c.desc, func(t *testing.T) {
			outs := map[string]string{}
			binaries(t, func(t *testing.T, bin string) {
				dir := t.TempDir()
				sock := filepath.Join(dir, "admin.sock")
				env := []string{"DIR=" + dir, "FE_PORT=" + freePort(t), "S1=127.0.0.1:1"}
				if c.config != "" {
					oldCfg := filepath.Join(dir, "old.cfg")
					if err := os.WriteFile(oldCfg, []byte(c.config), 0o644); err != nil {
						t.Fatal(err)
					}
					old := startBin(t, reftest.Ours(t, "haproxy"), env, "-db", "-f", oldCfg)
					waitFor(t, "the old stats socket", func() bool { _, err := os.Stat(sock); return err == nil })
					defer old.signal(t, syscall.SIGTERM)
				}
				cfg := filepath.Join(dir, "haproxy.cfg")
				if err := os.WriteFile(cfg, []byte(strings.Replace(takeOverConfig, "admin.sock", "new.sock", 1)), 0o644); err != nil {
					t.Fatal(err)
				}
				p := startBin(t, bin, env, "-db", "-f", cfg, "-x", sock)
				code := p.waitExit(t)
				var lines []string
				for _, l := range strings.Split(p.out.String(), "\n") {
					if strings.HasPrefix(l, "[WARNING]") || strings.HasPrefix(l, "[ALERT]") {
						lines = append(lines, pid.ReplaceAllString(strings.ReplaceAll(l, dir, "DIR"), "(N)"))
					}
				}
				outs[bin] = fmt.Sprintf("exit %d\n%s", code, strings.Join(lines, "\n"))
			})
			agree(t, outs)
		})
	}
}

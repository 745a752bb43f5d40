package proxy

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
)

// TestBindSocketsInherited: sockets opened by BindSockets (a port range,
// a unix socket) are served by an engine that inherits them, and a second BindSockets keeps the still wanted ones and closes
// the others.
func TestBindSocketsInherited(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	go serveReply(backend, "hi")
	low := reftest.FreePort(t)
	sock := filepath.Join(t.TempDir(), "fe.sock")
	text := fmt.Sprintf(`defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen ranged
    bind 127.0.0.1:%d-%d
    bind unix@%s mode 600
    server s1 %s
`, low, low+1, sock, backend.Addr())
	cfg, _ := adapt(t, text)
	files, err := BindSockets(cfg, nil)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			t.Skipf("port range taken meanwhile: %v", err)
		}
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("BindSockets gave %d sockets, want 3: %v", len(files), files)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("unix socket %v, %v: want mode 0600", fi, err)
	}
	asked := map[string]bool{}
	startEngineOpts(t, cfg, Options{Inherit: func(key string) net.Listener {
		asked[key] = true
		f := files[key]
		if f == nil {
			return nil
		}
		ln, err := net.FileListener(f)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			return nil
		}
		return ln
	}})
	for k := range files {
		if !asked[k] {
			t.Errorf("engine never asked for %s", k)
		}
	}
	addrs := []string{fmt.Sprintf("127.0.0.1:%d", low), fmt.Sprintf("127.0.0.1:%d", low+1)}
	dial := func(network, addr string) string {
		c, err := net.DialTimeout(network, addr, 2*time.Second)
		if err != nil {
			return err.Error()
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		b, _ := io.ReadAll(c)
		return string(b)
	}
	for _, a := range addrs {
		if got := dial("tcp", a); got != "hi" {
			t.Errorf("%s: got %q", a, got)
		}
	}
	if got := dial("unix", sock); got != "hi" {
		t.Errorf("%s: got %q", sock, got)
	}
	// The engine's copies are dups: closing ours keeps the sockets open.
	// A configuration with one port of the range left keeps that file.
	cfg2, _ := adapt(t, strings.Replace(text, fmt.Sprintf("%d-%d", low, low+1), fmt.Sprint(low), 1))
	files2, err := BindSockets(cfg2, files)
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for k, f := range files2 {
		if files[k] == f {
			kept++
		}
	}
	if len(files2) != 2 || kept != 2 {
		t.Errorf("second BindSockets: %d sockets, %d kept; want 2 and 2", len(files2), kept)
	}
	for _, f := range files {
		f.Close() // files2 holds none other
	}
}

// serveReply answers every connection of ln with msg and closes it.
func serveReply(ln net.Listener, msg string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = c.Write([]byte(msg))
		c.Close()
	}
}

// TestPauseInherited: a paused engine refuses connections on a socket
// another holder keeps open (a master), and serves again on Resume.
func TestPauseInherited(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	go serveReply(backend, "hi")
	addr := fmt.Sprintf("127.0.0.1:%d", reftest.FreePort(t))
	cfg, _ := adapt(t, fmt.Sprintf("listen app\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    bind %s\n    server s1 %s\n", addr, backend.Addr()))
	files, err := BindSockets(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	e := startEngineOpts(t, cfg, Options{Inherit: func(key string) net.Listener {
		ln, err := net.FileListener(files[key])
		if err != nil {
			return nil
		}
		return ln
	}})
	ask := func() (string, error) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return "", err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		b, err := io.ReadAll(c)
		return string(b), err
	}
	if got, err := ask(); got != "hi" {
		t.Fatalf("before the pause: %q, %v", got, err)
	}
	e.Pause()
	if got, err := ask(); err == nil || got != "" {
		t.Fatalf("paused engine answered %q, %v", got, err)
	}
	if err := e.Resume(); err != nil {
		t.Fatal(err)
	}
	if got, err := ask(); got != "hi" {
		t.Fatalf("after resume: %q, %v", got, err)
	}
}

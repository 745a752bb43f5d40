package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"fulcrum/proxy"
	"fulcrum/proxy/sockxfer"
)

// takeOver is -x: the listening sockets of the old process, fetched over
// its stats socket (`expose-fd listeners`, `_getsocks`) and matched to
// ecfg's binds by address; the unmatched ones are closed. ok is false
// after the reference's messages (the caller exits 1, as it does).
func takeOver(path string, ecfg *proxy.Config, r *reporter) (map[string]*os.File, bool) {
	socks, err := sockxfer.Fetch(path, 10*time.Second)
	if err != nil {
		msg := err.Error()
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			msg = fmt.Sprintf("Failed to connect to the old process socket '%s'", path)
		}
		r.line("WARNING", msg)
		r.line("ALERT", "Failed to get the sockets from the old process!")
		return nil, false
	}
	files := make([]proxy.SocketFile, len(socks))
	for i, s := range socks {
		files[i] = proxy.SocketFile{File: os.NewFile(uintptr(s.FD), "-x"), Interface: s.Interface}
	}
	taken := proxy.MatchSockets(ecfg, files)
	used := map[*os.File]bool{}
	for _, f := range taken {
		used[f] = true
	}
	for _, s := range files {
		if !used[s.File] {
			s.File.Close()
		}
	}
	return taken, true
}

// fileListeners is an engine's Options.Inherit over sockets by key. Each
// call makes a listener on a duplicate, so one closed by a pause can be
// made again while the file is open.
func fileListeners(files map[string]*os.File) func(string) net.Listener {
	if len(files) == 0 {
		return nil
	}
	return func(key string) net.Listener {
		f := files[key]
		if f == nil {
			return nil
		}
		ln, err := net.FileListener(f)
		if err != nil {
			return nil
		}
		return ln
	}
}

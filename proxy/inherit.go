package proxy

import (
	"fmt"
	"net"
	"os"
)

// Listening sockets opened by one process and served by another: a
// master-worker master binds (as root, before any chroot) and its workers
// inherit the sockets (Options.Inherit), so a reload hands every still
// configured socket over without refusing a connection.

// eachSocket calls fn for every listening socket cfg asks for, with the key
// that names the socket across reloads and processes: one per port of a
// range; a port-0 bind (the kernel picks) is keyed by frontend and position.
func eachSocket(cfg *Config, fn func(key string, fc *Frontend, b Bind)) {
	for _, fc := range cfg.Frontends {
		for i, b := range fc.Binds {
			a := b.Addr
			switch {
			case a.PortLow == 0 && a.Family <= FamilyIPv6:
				fn(fmt.Sprintf("%s#%s/%d", socketKey(a, 0), fc.Name, i), fc, b)
			case a.Family == FamilyUnix || a.Family == FamilyABNS || a.Family == FamilyFD:
				fn(a.Key(), fc, b)
			default:
				for p := int(a.PortLow); p <= int(a.PortHigh); p++ {
					fn(socketKey(a, uint16(p)), fc, b)
				}
			}
		}
	}
}

// bindBacklog is the listen(2) backlog of a bind: its own, else the
// frontend's backlog, else the frontend's maxconn.
func bindBacklog(b Bind, fc *Frontend) int {
	switch {
	case b.Backlog != 0:
		return b.Backlog
	case fc.Backlog != 0:
		return fc.Backlog
	}
	return fc.MaxConn
}

// inherited asks Options.Inherit for the socket of key.
func (e *Engine) inherited(key string) net.Listener {
	if e.opts.Inherit == nil {
		return nil
	}
	return e.opts.Inherit(key)
}

// BindSockets opens, with every bind option applied, the listening
// sockets cfg asks for that have is missing, and returns the full set by
// key: those of have still wanted are kept, the others are closed. On an
// error nothing of have is closed and what was opened is closed again.
func BindSockets(cfg *Config, have map[string]*os.File) (map[string]*os.File, error) {
	out := map[string]*os.File{}
	var err error
	eachSocket(cfg, func(k string, fc *Frontend, b Bind) {
		if err != nil || out[k] != nil {
			return
		}
		if f := have[k]; f != nil {
			out[k] = f
			return
		}
		one := b
		if b.Addr.PortLow != 0 && b.Addr.Family <= FamilyIPv6 {
			// One port of a range: open just this one.
			p := portOfKey(b.Addr, k)
			one.Addr.PortLow, one.Addr.PortHigh = p, p
		}
		var socks map[string]net.Listener
		socks, err = openSockets(one, bindBacklog(b, fc))
		for _, ln := range socks {
			if err == nil {
				out[k], err = listenerFile(ln)
			}
			ln.Close()
		}
	})
	if err != nil {
		for k, f := range out {
			if have[k] != f {
				f.Close()
			}
		}
		return nil, err
	}
	for k, f := range have {
		if out[k] != f {
			f.Close()
		}
	}
	return out, nil
}

// portOfKey finds which port of a's range key names.
func portOfKey(a ListenAddr, key string) uint16 {
	for p := int(a.PortLow); p <= int(a.PortHigh); p++ {
		if socketKey(a, uint16(p)) == key {
			return uint16(p)
		}
	}
	return a.PortLow
}

// listenerFile duplicates a listener's socket into a file that outlives it.
func listenerFile(ln net.Listener) (*os.File, error) {
	fl, ok := ln.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, fmt.Errorf("%v: socket cannot be passed on", ln.Addr())
	}
	return fl.File()
}

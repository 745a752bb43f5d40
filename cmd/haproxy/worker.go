package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"fulcrum/proxy/apisock"
	"fulcrum/proxy/sockxfer"
)

// A worker of -W/-Ws: the master's configuration served on the sockets
// the master bound (see master.go), with chroot, group and user applied
// once everything is open.

// inherited are a worker's listening sockets by key (workerEnv.Sockets);
// empty outside a worker. They stay open for the process's life: a
// listener closed by a pause can be made again (fileListeners).
var inherited map[string]*os.File

// dupFD duplicates a descriptor (close-on-exec).
func dupFD(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}

// adoptInherited points the stats sockets of acfg at the inherited ones:
// a worker serves the sockets its master bound.
func adoptInherited(acfg *apisock.Config) {
	for i, s := range acfg.Sockets {
		f, ok := inherited[statsKey(s)]
		if !ok {
			continue
		}
		// apisock takes the duplicate over (and closes it).
		if dup, err := dupFD(sockxfer.FD(f)); err == nil {
			acfg.Sockets[i].FD = dup
		}
	}
}

// runWorker serves as a worker until a stop; it returns the exit code.
func runWorker(f flags, spec string, sigs <-chan os.Signal) int {
	var env workerEnv
	if err := json.Unmarshal([]byte(spec), &env); err != nil {
		fmt.Fprintf(os.Stderr, "%s: invalid %s: %v\n", os.Args[0], envWorker, err)
		return 1
	}
	os.Unsetenv(envWorker)
	inherited = map[string]*os.File{}
	for k, fd := range env.Sockets {
		inherited[k] = os.NewFile(uintptr(fd), k)
	}
	ctlFile := os.NewFile(uintptr(env.Ctl), "master")
	conn, err := net.FileConn(ctlFile)
	ctlFile.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: no channel to the master: %v\n", os.Args[0], err)
		return 1
	}
	ctl := conn.(*net.UnixConn)
	// The master reported the configuration's diagnostics already.
	quiet := f.quiet
	f.quiet = true
	cfg, ecfg, r, ok := loadEngineConfig(f)
	r.quiet = quiet || (cfg != nil && cfg.Global.Quiet)
	r.noConfig = true
	if !ok {
		r.alert("The configuration the master loaded no longer loads in the worker.")
		return 1
	}
	d, ok := startServing(f, cfg, ecfg, r, fileListeners(inherited))
	if !ok {
		return 1
	}
	defer d.api.Close()
	if !d.dropPrivileges(cfg) {
		return 1
	}
	if _, err := ctl.Write([]byte("R")); err != nil {
		d.engine.Close()
		return 1
	}
	// The master keeps its end open while it lives: EOF means it is gone,
	// and a worker without a master exits, as HAProxy's do. Meanwhile it
	// sends client connections of its CLI (`@<pid>` commands).
	gone := make(chan struct{})
	go func() {
		buf := make([]byte, 64)
		oob := make([]byte, unix.CmsgSpace(4*16))
		for {
			n, oobn, _, _, err := ctl.ReadMsgUnix(buf, oob)
			fds, _ := sockxfer.Rights(oob[:oobn])
			for _, fd := range fds {
				f := os.NewFile(uintptr(fd), "master-cli")
				if c, err := net.FileConn(f); err == nil {
					d.api.ServeConn(c, apisock.LevelAdmin)
				}
				f.Close()
			}
			if err != nil || (n == 0 && oobn == 0) {
				close(gone)
				return
			}
		}
	}()
	return d.serve(sigs, gone)
}

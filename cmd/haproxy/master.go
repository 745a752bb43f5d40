package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"fulcrum/haproxy"
	"fulcrum/proxy"
	"fulcrum/proxy/apisock"
	"fulcrum/proxy/sockxfer"
)

// The master of -W/-Ws, as HAProxy 2.6 runs it: it stays root and
// unchrooted, reads the configuration, binds every listening socket
// (frontends and `stats socket`s) and starts a worker: this binary again,
// with envWorker naming the inherited sockets. The worker serves, after
// applying chroot, group and user. A reload re-reads the configuration,
// binds what is new, starts a new worker with every still configured
// socket, and soft-stops the old workers (SIGUSR1) once the new one is
// ready, so no connection is refused. The master holds the sockets
// between workers; it never accepts on them.

// envWorker marks a worker; its value is a workerEnv in JSON.
const envWorker = "FULCRUM_HAPROXY_WORKER"

// workerEnv tells a worker where its inherited descriptors are.
type workerEnv struct {
	Ctl     int            // socketpair to the master: "R" when ready, EOF when the master is gone
	Sockets map[string]int // listening sockets by key (proxy keys, statsKey for stats sockets)
}

// statsKey names a `stats socket` among the inherited sockets.
func statsKey(s apisock.Socket) string { return fmt.Sprintf("stats|%s|%s|%d", s.Network, s.Addr, s.FD) }

// worker is one worker process as the master sees it, or one program
// (programs.go).
type worker struct {
	pid     int
	ctl     *net.UnixConn // master's end of the control socketpair; nil for a program
	started time.Time
	gen     int    // the master's reload count when it started
	reloads int    // master reloads since this worker started
	leaving bool   // told to stop: an old worker
	program string // the program section's name; "" for a worker
}

type workerEvent struct {
	w      *worker
	exited bool
	status int // exit code, 128+signal when killed
}

// master is the -W process.
type master struct {
	f    flags
	opts daemonOpts
	r    *reporter

	started   time.Time
	mu        sync.Mutex // workers and counters, read by `show proc`
	workers   []*worker  // newest first
	reloads   int
	failures  int
	sockets   map[string]*os.File // engine sockets by proxy key
	stats     map[string]*os.File // stats sockets by statsKey
	events    chan workerEvent
	cliReload chan chan struct{}
	stopping  bool
	exitCode  int // -1 until a worker ends abnormally
	firstUp   bool
	// maxReloads is mworker-max-reloads: an old worker that lives
	// through more reloads is ended (-1: no limit).
	maxReloads int
}

// runMaster binds cfg's sockets, starts the first worker and supervises
// it until every worker has exited.
// taken are sockets got with -x, reused where the configuration binds them.
func runMaster(f flags, opts daemonOpts, cfg *haproxy.Config, ecfg *proxy.Config, r *reporter, sigs <-chan os.Signal, pidfile string, taken map[string]*os.File) int {
	m := &master{f: f, opts: opts, r: r, started: time.Now(), events: make(chan workerEvent, 8),
		cliReload: make(chan chan struct{}), exitCode: -1, sockets: taken}
	if !m.bind(cfg, ecfg) || !limitHighEnough(cfg, ecfg, r) {
		return 1
	}
	if pidfile != "" {
		if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			r.line("ALERT", fmt.Sprintf("[%s.main()] Cannot create pidfile %s", os.Args[0], pidfile))
			return 1
		}
	}
	if opts.masterCLI != "" {
		cli, notes, err := listenMasterCLI(opts.masterCLI, m.cliReload, m.showProc, m.forward)
		if err != nil {
			r.line("ALERT", err.Error())
			return 1
		}
		defer cli.close()
		for _, n := range notes {
			r.line("WARNING", n)
		}
	}
	m.startPrograms(cfg, false)
	if err := m.spawn(); err != nil {
		r.line("ALERT", "Cannot fork: "+err.Error())
		return 1
	}
	return m.loop(sigs)
}

// bind opens the sockets of a configuration, keeping those already open
// at the same address; false after an alert (the old set is untouched).
func (m *master) bind(cfg *haproxy.Config, ecfg *proxy.Config) bool {
	socks, err := proxy.BindSockets(ecfg, m.sockets)
	if err != nil {
		bindFailed(m.r, err)
		return false
	}
	acfg, diags := apisock.FromConfig(cfg)
	for _, d := range diags {
		m.r.print(d)
	}
	stats := map[string]*os.File{}
	var serr error
	for _, s := range acfg.Sockets {
		k := statsKey(s)
		if stats[k] != nil {
			continue
		}
		if f := m.stats[k]; f != nil {
			stats[k] = f
			continue
		}
		f, err := statsFile(s)
		if err != nil {
			serr = statsBindError(cfg, err)
			break
		}
		stats[k] = f
	}
	if serr != nil {
		bindFailed(m.r, serr)
		closeUnkept(stats, m.stats)
		closeUnkept(socks, m.sockets)
		return false
	}
	closeUnkept(m.sockets, socks)
	closeUnkept(m.stats, stats)
	m.sockets, m.stats = socks, stats
	return true
}

// statsFile opens a `stats socket` for the workers: fd@N (inherited by
// the master) is duplicated, an address is bound.
func statsFile(s apisock.Socket) (*os.File, error) {
	if s.FD < 0 {
		return apisock.ListenFile(s)
	}
	dup, err := dupFD(s.FD)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(dup), statsKey(s)), nil
}

// closeUnkept closes the files of set that keep does not hold.
func closeUnkept(set, keep map[string]*os.File) {
	for k, f := range set {
		if keep[k] != f {
			f.Close()
		}
	}
}

// spawn starts a worker with every socket of the current configuration.
func (m *master) spawn() error {
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(pair[1])
	ctlFile := os.NewFile(uintptr(pair[0]), "worker-ctl")
	conn, err := net.FileConn(ctlFile)
	ctlFile.Close()
	if err != nil {
		return err
	}
	ctl := conn.(*net.UnixConn)
	env := workerEnv{Ctl: 3, Sockets: map[string]int{}}
	files := []uintptr{0, 1, 2, uintptr(pair[1])}
	all := map[string]*os.File{}
	for k, f := range m.sockets {
		all[k] = f
	}
	for k, f := range m.stats {
		all[k] = f
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env.Sockets[k] = len(files)
		files = append(files, uintptr(sockxfer.FD(all[k])))
	}
	js, _ := json.Marshal(env)
	environ := []string{envWorker + "=" + string(js)}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, envWorker+"=") && !strings.HasPrefix(e, envDaemonized+"=") {
			environ = append(environ, e)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	// syscall.ForkExec, not os.StartProcess: the latter takes *os.File
	// and calls Fd on each, which makes the listening sockets blocking.
	pid, err := syscall.ForkExec(exe, os.Args, &syscall.ProcAttr{Env: environ, Files: files})
	if err != nil {
		ctl.Close()
		return err
	}
	m.mu.Lock()
	w := &worker{pid: pid, ctl: ctl, started: time.Now(), gen: m.reloads}
	m.workers = append([]*worker{w}, m.workers...)
	m.mu.Unlock()
	m.r.line("NOTICE", fmt.Sprintf("New worker (%d) forked", pid))
	go func() {
		buf := make([]byte, 1)
		if n, _ := ctl.Read(buf); n == 1 && buf[0] == 'R' {
			m.events <- workerEvent{w: w}
		}
	}()
	go m.await(w)
	return nil
}

// await reports the end of a worker or program to the loop.
func (m *master) await(w *worker) {
	status := 255
	if p, err := os.FindProcess(w.pid); err == nil {
		if st, err := p.Wait(); err == nil {
			status = exitStatus(st.Sys().(syscall.WaitStatus))
		}
	}
	m.events <- workerEvent{w: w, exited: true, status: status}
}

// exitStatus is a wait status as HAProxy reports it: the exit code, or
// 128 + the signal that killed the process.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// statusText names a status like HAProxy's messages: "Exit", or the
// signal's description ("Terminated", "Segmentation fault").
func statusText(status int) string {
	if status < 128 {
		return "Exit"
	}
	s := syscall.Signal(status - 128).String()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// loop handles signals, CLI reloads and worker events until the last
// worker is gone.
func (m *master) loop(sigs <-chan os.Signal) int {
	for {
		select {
		case sig := <-sigs:
			m.signal(sig.(syscall.Signal))
		case done := <-m.cliReload:
			m.reload()
			close(done)
		case ev := <-m.events:
			if ev.exited {
				if code, over := m.exited(ev.w, ev.status); over {
					return code
				}
			} else {
				m.ready(ev.w)
			}
		}
	}
}

func (m *master) signal(sig syscall.Signal) {
	switch sig {
	case syscall.SIGUSR2, syscall.SIGHUP:
		if !m.stopping {
			m.reload()
		}
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1:
		m.say("WARNING", "Exiting Master process...")
		if m.opts.systemd {
			sdNotify("STOPPING=1")
		}
		m.stopping = true
		m.broadcast(sig)
	case syscall.SIGTTOU, syscall.SIGTTIN:
		m.broadcast(sig)
	}
}

// broadcast sends sig to every worker.
func (m *master) broadcast(sig syscall.Signal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.workers {
		_ = syscall.Kill(w.pid, sig)
	}
}

// ready: a worker serves. The first one completes the start (pidfile
// readers, -D parent, systemd); a later one completes a reload and the
// workers before it are soft-stopped.
func (m *master) ready(w *worker) {
	m.mu.Lock()
	if w.leaving || !slices.Contains(m.workers, w) {
		// Superseded by a newer worker before it was ready, or gone.
		m.mu.Unlock()
		return
	}
	var old []*worker
	for _, o := range m.workers {
		switch {
		case o.program != "":
			// As the reference's new worker signals every process of
			// the previous generation, a program not started again at
			// the reload (no option start-on-reload) is told too.
			if o.gen < w.gen && !o.leaving {
				o.leaving = true
				old = append(old, o)
			}
		case o != w && !o.leaving && o.started.Before(w.started):
			o.leaving = true
			old = append(old, o)
		}
	}
	m.mu.Unlock()
	if !m.f.quiet {
		m.r.line("NOTICE", "Loading success.")
	}
	// The reference's master re-executes itself here: its new image
	// prints the version notices again before its first warning.
	m.r.headerOut = false
	for _, o := range old {
		_ = syscall.Kill(o.pid, syscall.SIGUSR1)
	}
	if !m.firstUp {
		m.firstUp = true
		for _, pid := range m.opts.softPIDs {
			_ = syscall.Kill(pid, syscall.SIGUSR1)
		}
		for _, pid := range m.opts.hardPIDs {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
		signalReady()
		if m.opts.systemd {
			sdNotify("READY=1\nMAINPID=" + strconv.Itoa(os.Getpid()))
		}
		return
	}
	if m.opts.systemd {
		sdNotify("READY=1")
	}
}

// say prints a warning or an alert of the running master, after the
// version notices once per image, as the reference's.
func (m *master) say(label, msg string) {
	m.r.header()
	m.r.line(label, msg)
}

// exited reports a worker's end like HAProxy's master; over is true once
// no worker is left, with the master's exit code.
func (m *master) exited(w *worker, status int) (code int, over bool) {
	what := fmt.Sprintf("worker (%d)", w.pid)
	if w.program != "" {
		what = fmt.Sprintf("program '%s' (%d)", w.program, w.pid)
	} else {
		w.ctl.Close()
	}
	if w.leaving {
		m.say("WARNING", fmt.Sprintf("Former %s exited with code %d (%s)", what, status, statusText(status)))
	} else {
		label := "WARNING"
		if status >= 128 || w.program != "" {
			label = "ALERT"
		}
		m.say(label, fmt.Sprintf("Current %s exited with code %d (%s)", what, status, statusText(status)))
		// 0, SIGINT and SIGTERM are normal ends; anything else takes
		// every other worker down with it.
		if status != 0 && status != 130 && status != 143 {
			m.say("ALERT", "exit-on-failure: killing every processes with SIGTERM")
			m.stopping = true
			m.broadcast(syscall.SIGTERM)
		}
		if m.exitCode < 0 && status != 0 && status != 143 {
			m.exitCode = status
		}
	}
	m.mu.Lock()
	for i, o := range m.workers {
		if o == w {
			m.workers = append(m.workers[:i], m.workers[i+1:]...)
			break
		}
	}
	left := len(m.workers)
	m.mu.Unlock()
	if left > 0 {
		return 0, false
	}
	code = max(m.exitCode, 0)
	m.say("WARNING", fmt.Sprintf("All workers exited. Exiting... (%d)", code))
	return code, true
}

// reload re-reads the configuration and starts a new worker; on failure
// the current workers keep serving.
func (m *master) reload() {
	if m.opts.systemd {
		sdNotify("RELOADING=1")
	}
	m.r.line("NOTICE", "Reloading HAProxy")
	cfg, ecfg, r, ok := loadEngineConfig(m.f)
	if ok {
		m.r.quiet = r.quiet
		ok = m.bind(cfg, ecfg)
	}
	m.mu.Lock()
	m.reloads++
	for _, w := range m.workers {
		w.reloads++
	}
	if !ok {
		m.failures++
	}
	m.mu.Unlock()
	if ok {
		m.startPrograms(cfg, true)
		m.killOverReloaded()
		if err := m.spawn(); err != nil {
			m.r.line("ALERT", "Cannot fork: "+err.Error())
			ok = false
		}
	}
	if !ok {
		m.r.line("WARNING", "Loading failure!")
		if m.opts.systemd {
			sdNotify("READY=1")
		}
	}
}

// showProc is the master CLI's `show proc`, in the reference's layout.
func (m *master) showProc() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var b bytes.Buffer
	row := func(pid int, kind, reloads string, since time.Time) {
		fmt.Fprintf(&b, "%-15d %-15s %-15s %-15s %s\n", pid, kind, reloads, uptime(now.Sub(since)), version)
	}
	fmt.Fprintf(&b, "%-15s %-15s %-15s %-15s %-15s\n", "#<PID>", "<type>", "<reloads>", "<uptime>", "<version>")
	row(os.Getpid(), "master", fmt.Sprintf("%d [failed: %d]", m.reloads, m.failures), m.started)
	b.WriteString("# workers\n")
	for _, w := range m.workers {
		if !w.leaving && w.program == "" {
			row(w.pid, "worker", strconv.Itoa(w.reloads), w.started)
		}
	}
	header := false
	for _, w := range m.workers {
		if w.leaving && w.program == "" {
			if !header {
				b.WriteString("# old workers\n")
				header = true
			}
			row(w.pid, "worker", strconv.Itoa(w.reloads), w.started)
		}
	}
	b.WriteString("# programs\n")
	for _, w := range slices.Backward(m.workers) { // in the order they started
		if w.program != "" {
			fmt.Fprintf(&b, "%-15d %-15s %-15d %-15s %-15s\n", w.pid, w.program, w.reloads, uptime(now.Sub(w.started)), "-")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// forward runs one command line on a worker's Runtime API, for the
// master CLI's `@<n>` and `@!<pid>`: one end of a new socketpair goes to
// the worker over its control channel (the worker serves it as an admin
// session), the command is written on the other end and the reply read
// to its end.
func (m *master) forward(target, line string) (string, error) {
	w := m.target(target)
	if w == nil {
		return "", fmt.Errorf("Can't find the target PID matching the prefix '%s'\n", target)
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	mine := os.NewFile(uintptr(pair[0]), "cli")
	defer mine.Close()
	_, _, err = w.ctl.WriteMsgUnix([]byte("C"), syscall.UnixRights(pair[1]), nil)
	syscall.Close(pair[1])
	if err != nil {
		return "", err
	}
	conn, err := net.FileConn(mine)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	if _, err := io.WriteString(conn, line+"\n"); err != nil {
		return "", err
	}
	out, err := io.ReadAll(conn)
	return string(out), err
}

// target finds the worker of a master CLI prefix: @1 is the current
// worker, @!<pid> any worker.
func (m *master) target(prefix string) *worker {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pid, ok := strings.CutPrefix(prefix, "@!"); ok {
		for _, w := range m.workers {
			if strconv.Itoa(w.pid) == pid && w.program == "" {
				return w
			}
		}
		return nil
	}
	if prefix == "@1" {
		for _, w := range m.workers {
			if !w.leaving && w.program == "" {
				return w
			}
		}
	}
	return nil
}

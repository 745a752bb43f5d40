package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy"
	"fulcrum/proxy/apisock"
)

// daemonOpts are the daemon-only command line flags.
type daemonOpts struct {
	foreground bool // -db or -d
	background bool // -D
	master     bool // -W / -Ws
	systemd    bool // -Ws
	pidfile    string
	masterCLI  string // -S
	takeFrom   string // -x: the old process's stats socket
	maxConn    int    // -n: replaces the global maxconn
	feMaxConn  int    // -N: maxconn of frontends that set none
	softPIDs   []int  // -sf
	hardPIDs   []int  // -st
	localPeer  string // -L
	verbose    bool   // -d or -V: the reference's "Note:" lines
	notes      []string
}

// daemonNoted are flags HAProxy accepts that have no meaning for Fulcrum
// (its event loop, memory debugging, splice and getaddrinfo switches).
var daemonNoted = map[string]string{
	"-de": "epoll", "-dp": "poll", "-dS": "splice", "-dG": "getaddrinfo", "-dR": "SO_REUSEPORT",
	"-dV": "server SSL verification", "-dL": "loaded objects dump", "-V": "verbose mode", "-m": "memory limit",
}

func parseDaemonArgs(args []string) daemonOpts {
	var o daemonOpts
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-db":
			o.foreground = true
		case a == "-d":
			o.foreground, o.verbose = true, true
			o.notes = append(o.notes, "'-d' (debug mode): Fulcrum stays in the foreground but prints no per-connection traces.")
		case (a == "-n" || a == "-N") && i+1 < len(args):
			i++
			n, _ := strconv.Atoi(args[i])
			if a == "-n" {
				o.maxConn = n
			} else {
				o.feMaxConn = n
			}
		case a == "-D":
			o.background = true
		case a == "-W":
			o.master = true
		case a == "-Ws":
			o.master, o.systemd = true, true
		case a == "-p" && i+1 < len(args):
			i++
			o.pidfile = args[i]
		case a == "-S" && i+1 < len(args):
			i++
			o.masterCLI = args[i]
		case a == "-L" && i+1 < len(args):
			i++
			o.localPeer = args[i]
		case a == "-x" && i+1 < len(args):
			i++
			o.takeFrom = args[i]
		case a == "-sf" || a == "-st":
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				if pid, err := strconv.Atoi(args[i]); err == nil && pid > 0 {
					if a == "-sf" {
						o.softPIDs = append(o.softPIDs, pid)
					} else {
						o.hardPIDs = append(o.hardPIDs, pid)
					}
				}
			}
		case strings.HasPrefix(a, "-dM") || strings.HasPrefix(a, "-dK"):
			o.notes = append(o.notes, fmt.Sprintf("'%s' (debugging option) accepted; it has no effect in Fulcrum.", a))
		default:
			what, ok := daemonNoted[a]
			if !ok {
				continue
			}
			o.verbose = o.verbose || a == "-V"
			if withValue[a] && i+1 < len(args) {
				i++
				a += " " + args[i]
			}
			o.notes = append(o.notes, fmt.Sprintf("'%s' (%s) accepted; it has no effect in Fulcrum.", a, what))
		}
	}
	return o
}

// envDaemonized marks the detached child of -D.
const envDaemonized = "FULCRUM_HAPROXY_DAEMONIZED"

// runDaemon runs the proxy until it is told to stop: as one process, or
// as the master of -W/-Ws (master.go), or as its worker (worker.go).
func runDaemon(f flags) int {
	// main turned the collector off for check mode; a long running proxy
	// needs it.
	debug.SetGCPercent(100)
	// Signals are caught from the start: one that comes before serve()
	// must wait for it, not take its default action.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
		syscall.SIGTTOU, syscall.SIGTTIN, syscall.SIGQUIT)
	if spec := os.Getenv(envWorker); spec != "" {
		return runWorker(f, spec, sigs)
	}
	opts := parseDaemonArgs(f.daemonArgs)
	cfg, ecfg, r, ok := loadEngineConfig(f)
	if !ok {
		return 1
	}
	for _, n := range opts.notes {
		r.line("NOTICE", n)
	}
	if opts.master || cfg.Global.MasterWorker {
		opts.master = true
	}
	// -Ws runs under systemd (Type=notify), which wants the main process
	// in the foreground: HAProxy ignores "daemon" there too.
	if (opts.background || cfg.Global.Daemon) && !opts.foreground && !opts.systemd && os.Getenv(envDaemonized) == "" {
		return daemonize()
	}
	pidfile := opts.pidfile
	if pidfile == "" {
		pidfile = cfg.Global.PidFile
	}
	var taken map[string]*os.File
	if opts.takeFrom != "" {
		if taken, ok = takeOver(opts.takeFrom, ecfg, r); !ok {
			return 1
		}
	}
	if opts.master {
		return runMaster(f, opts, cfg, ecfg, r, sigs, pidfile, taken)
	}
	if opts.masterCLI != "" {
		r.line("WARNING", "-S is only used in master-worker mode (-W/-Ws); ignored.")
	}
	d, ok := startServing(f, cfg, ecfg, r, fileListeners(taken))
	for _, f := range taken {
		f.Close() // the engine holds duplicates
	}
	if !ok {
		return 1
	}
	defer d.api.Close()
	for _, pid := range opts.softPIDs {
		_ = syscall.Kill(pid, syscall.SIGUSR1)
	}
	for _, pid := range opts.hardPIDs {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	// HAProxy writes the pidfile only as a daemon or a master.
	if pidfile != "" && os.Getenv(envDaemonized) != "" {
		if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			r.startupLine("ALERT", fmt.Sprintf("[%s.main()] Cannot create pidfile %s", os.Args[0], pidfile))
			d.engine.Close()
			return 1
		}
	}
	if !d.dropPrivileges(cfg) || !limitHighEnough(cfg, ecfg, r) {
		return 1
	}
	signalReady()
	return d.serve(sigs, nil)
}

// startServing starts the engine of ecfg and the Runtime API sockets of
// cfg; inherit (a worker's) supplies listening sockets. ok is false after
// an alert.
func startServing(f flags, cfg *haproxy.Config, ecfg *proxy.Config, r *reporter, inherit func(string) net.Listener) (*daemon, bool) {
	g := readGlobal(cfg)
	if g.nbthread > 0 {
		runtime.GOMAXPROCS(g.nbthread)
	}
	applyCPUMap(cfg, g.nbthread, r) // cpumap.go
	logs := newLogger(cfg, r.pid, r.quiet)
	engine, err := proxy.New(ecfg, proxy.Options{Log: logs.engineMessage, AccessLog: logs.access, Inherit: inherit,
		LocalPeer: parseDaemonArgs(f.daemonArgs).localPeer})
	if err != nil {
		r.alert(err.Error())
		return nil, false
	}
	loadServerStates(ecfg, proxy.GlobalServerStateFile(cfg), engine, r, logs)
	if err := engine.Start(context.Background()); err != nil {
		bindFailed(r, err)
		return nil, false
	}
	api, ok := statsSockets(cfg, ecfg, engine, r)
	if !ok {
		engine.Close()
		return nil, false
	}
	api.SetEvents(logs.rings)
	return &daemon{f: f, r: r, engine: engine, logs: logs, global: g, api: api}, true
}

// loadEngineConfig loads the files, reports the model's diagnostics, the
// notices of what is not acted on, and maps the model onto the engine.
func loadEngineConfig(f flags) (*haproxy.Config, *proxy.Config, *reporter, bool) {
	cfg, r := loadAndReport(f)
	if haproxy.Verdict(cfg) == haproxy.Invalid {
		return nil, nil, r, false
	}
	applyEnviron(cfg.Environ) // environ.go
	for _, d := range cfg.Pending {
		if !actedOn(cfg, d) {
			r.print(d)
		}
	}
	ecfg, more := proxy.FromConfig(cfg)
	for _, d := range more {
		r.print(d)
	}
	if confparse.HasAlert(more) {
		r.alert("Fatal errors found in configuration.")
		return nil, nil, r, false
	}
	opts := parseDaemonArgs(f.daemonArgs)
	if opts.maxConn > 0 {
		ecfg.MaxConn = opts.maxConn
	}
	for _, fe := range ecfg.Frontends {
		if fe.MaxConn == 0 {
			fe.MaxConn = opts.feMaxConn
		}
	}
	if len(ecfg.Frontends) == 0 {
		r.startupLine("ALERT", fmt.Sprintf("[%s.main()] No enabled listener found (check for 'bind' directives) ! Exiting.", os.Args[0]))
		return nil, nil, r, false
	}
	if !applyLimits(cfg, ecfg, opts, r) {
		return nil, nil, r, false
	}
	return cfg, ecfg, r, true
}

// actedOn reports whether a model notice about a proxy keyword is stale:
// the engine adapter maps that keyword.
func actedOn(cfg *haproxy.Config, d confparse.Diagnostic) bool {
	for _, sec := range cfg.Order {
		for _, l := range sec.Lines {
			if l.Pos == d.Pos && sec.Kind == "resolvers" {
				return proxy.ActsOnResolvers(l.Keyword)
			}
			if l.Pos == d.Pos && sec.Kind == "global" {
				kw := l.Keyword
				if (kw == "no" || kw == "default") && len(l.Args) > 0 {
					kw = l.Args[0]
				}
				return globalActedOn[kw] || proxy.ActsOnGlobal(kw)
			}
			if l.Pos == d.Pos && sec.Kind == "peers" {
				return proxy.ActsOnPeers(l.Keyword)
			}
			if l.Pos == d.Pos {
				return proxy.ActsOn(l.Keyword)
			}
		}
	}
	return false
}

// globalActedOn are global keywords the model does not count as built
// that the daemon itself applies (node and description: the statistics
// show them).
var globalActedOn = map[string]bool{"hard-stop-after": true, "node": true, "description": true, "mworker-max-reloads": true,
	"ulimit-n": true, "strict-limits": true, "fd-hard-limit": true,
	"server-state-file": true, "server-state-base": true, "localpeer": true}

// globalSettings are the global keywords the daemon reads from the
// section's lines.
type globalSettings struct {
	nbthread       int
	hardStopAfter  time.Duration // 0 = wait for every connection
	hasHardStopAft bool
}

func readGlobal(cfg *haproxy.Config) globalSettings {
	g := globalSettings{nbthread: cfg.Global.NbThread}
	if cfg.Global.Section == nil {
		return g
	}
	for _, d := range cfg.Global.Section.Lines {
		if d.Keyword == "hard-stop-after" && len(d.Args) > 0 {
			if t, ok := parseDuration(d.Args[0]); ok {
				g.hardStopAfter, g.hasHardStopAft = t, true
			}
		}
	}
	return g
}

// parseDuration reads a time with HAProxy's units (default ms).
func parseDuration(s string) (time.Duration, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[s[i:]]
	if err != nil || unit == 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// daemonize re-executes this command detached from the terminal (a new
// session, stdio on /dev/null) and returns once the child reports that
// it is listening, like HAProxy's parent exits after the fork.
func daemonize() int {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := os.StartProcess(exe, os.Args, &os.ProcAttr{
		Env:   append(os.Environ(), envDaemonized+"=1"),
		Files: []*os.File{null, null, null, wr},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	wr.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	buf := make([]byte, 2)
	n, _ := rd.Read(buf)
	if n == 2 && string(buf) == "ok" {
		_ = p.Release()
		return 0
	}
	st, _ := p.Wait()
	if st != nil && st.ExitCode() > 0 {
		return st.ExitCode()
	}
	return 1
}

// signalReady tells a -D parent that the listeners are up.
func signalReady() {
	if os.Getenv(envDaemonized) == "" {
		return
	}
	os.Unsetenv(envDaemonized)
	ready := os.NewFile(3, "ready")
	if ready != nil {
		_, _ = ready.Write([]byte("ok"))
		ready.Close()
	}
}

// sdNotify sends a state to systemd's $NOTIFY_SOCKET (-Ws).
func sdNotify(state string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	_ = syscall.Sendto(fd, []byte(state), 0, &syscall.SockaddrUnix{Name: path})
}

// dropPrivileges applies global chroot, group and user once everything
// is open, in that order, as HAProxy does: `user` alone changes only the
// uid, `group` only the gid (and drops the supplementary groups). Go
// applies setuid and setgid to every thread.
func dropPrivileges(cfg *haproxy.Config) error {
	g := cfg.Global
	if g.Chroot == "" && g.User == "" && g.Group == "" {
		return nil
	}
	uid, gid := -1, -1
	var err error
	if g.User != "" {
		if uid, _, err = lookupIDs(g.User, ""); err != nil {
			return err
		}
	}
	if g.Group != "" {
		if _, gid, err = lookupIDs("", g.Group); err != nil {
			return err
		}
	}
	if g.Chroot != "" {
		if err := syscall.Chroot(g.Chroot); err != nil {
			return fmt.Errorf("[%s.main()] Cannot chroot(%s).", os.Args[0], g.Chroot)
		}
		_ = os.Chdir("/")
	}
	if gid >= 0 {
		if err := syscall.Setgroups(nil); err != nil {
			return fmt.Errorf("[%s.main()] Failed to drop supplementary groups: %v", os.Args[0], err)
		}
		if err := syscall.Setgid(gid); err != nil {
			return fmt.Errorf("[%s.main()] Cannot set gid %d.", os.Args[0], gid)
		}
	}
	if uid >= 0 {
		if err := syscall.Setuid(uid); err != nil {
			return fmt.Errorf("[%s.main()] Cannot set uid %d.", os.Args[0], uid)
		}
	}
	return nil
}

// dropPrivileges applies chroot, group and user, or reports why not
// (a startup alert: after the version notices, as the reference) and
// closes the engine.
func (d *daemon) dropPrivileges(cfg *haproxy.Config) bool {
	if err := dropPrivileges(cfg); err != nil {
		d.r.header()
		d.r.line("ALERT", err.Error())
		d.engine.Close()
		return false
	}
	return true
}

// daemon is a serving process (alone, or a master's worker): its engine
// and its signal handling.
type daemon struct {
	f      flags
	r      *reporter
	engine *proxy.Engine
	logs   *logger
	global globalSettings
	api    *apisock.Server
}

// serve handles signals until a stop, or until masterGone closes (a
// worker whose master is gone); it returns the exit code. A worker
// ignores SIGUSR2 (reloads are the master's); a single process reloads
// in place (the reference ignores it there; Fulcrum's in-place reload
// keeps Runtime API sessions and admin states, see statssock_test.go).
func (d *daemon) serve(sigs <-chan os.Signal, masterGone <-chan struct{}) int {
	for {
		var sig os.Signal
		select {
		case sig = <-sigs:
		case <-masterGone:
			d.engine.Close()
			return 0
		}
		switch sig {
		case syscall.SIGUSR1:
			return d.softStop(sigs)
		case syscall.SIGTERM, syscall.SIGINT:
			return d.hardStop(sig.(syscall.Signal))
		case syscall.SIGUSR2:
			if masterGone == nil {
				d.reload()
			}
		case syscall.SIGTTOU:
			d.engine.Pause()
		case syscall.SIGTTIN:
			if err := d.engine.Resume(); err != nil {
				d.r.line("ALERT", "Resuming listeners: "+err.Error())
			}
		case syscall.SIGHUP, syscall.SIGQUIT:
			d.dumpStates()
		}
	}
}

// softStop is SIGUSR1: stop listening, let connections finish (up to
// hard-stop-after), exit 0. A SIGTERM or SIGINT meanwhile stops at once,
// as the reference's (the master's mworker-max-reloads and
// exit-on-failure end old workers so).
func (d *daemon) softStop(sigs <-chan os.Signal) int {
	grace := time.Duration(1<<63 - 1)
	if d.global.hasHardStopAft {
		grace = d.global.hardStopAfter
	}
	done := make(chan struct{})
	go func() {
		d.engine.Stop(grace)
		close(done)
	}()
	for {
		select {
		case <-done:
			return 0
		case sig := <-sigs:
			if sig == syscall.SIGTERM || sig == syscall.SIGINT {
				return d.hardStop(sig.(syscall.Signal))
			}
		}
	}
}

// hardStop is SIGTERM/SIGINT: close everything now and die of the
// signal, as HAProxy does (exit status 128+signal).
func (d *daemon) hardStop(sig syscall.Signal) int {
	d.engine.Close()
	d.api.Close() // the process dies of the signal below, before deferred calls
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	time.Sleep(time.Second) // the signal ends the process meanwhile
	return 128 + int(sig)
}

// reload re-reads the files and switches the engine to the new
// configuration in this process; on failure the old one keeps running.
func (d *daemon) reload() {
	d.r.line("NOTICE", "Reloading HAProxy")
	cfg, ecfg, r, ok := loadEngineConfig(d.f)
	if ok {
		if err := d.engine.Reload(ecfg); err != nil {
			r.alert(err.Error())
			ok = false
		} else {
			d.logs.configure(cfg)
			d.global = readGlobal(cfg)
			if err := updateStatsSockets(d.api, cfg, ecfg, r); err != nil {
				r.line("ALERT", err.Error())
			}
		}
	}
	if ok {
		d.r.line("NOTICE", "Loading success.")
	} else {
		d.r.line("WARNING", "Loading failure!")
	}
}

// dumpStates is SIGHUP outside master-worker mode.
func (d *daemon) dumpStates() {
	d.r.line("WARNING", "SIGHUP received, dumping servers states.")
	for _, dump := range d.engine.DumpStates() {
		d.logs.send(nil, 5, "SIGHUP received, dumping servers states for proxy "+dump.Proxy+".")
		for _, l := range dump.Lines {
			d.r.line("WARNING", l)
			d.logs.send(nil, 5, l)
		}
	}
}

// bindFailed reports listeners that could not be opened as the
// reference does: each failed bind line's own message, then the exit notice
// naming the program as it was invoked.
func bindFailed(r *reporter, err error) {
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap() // one per failed bind line
	}
	for _, err := range errs {
		msg := err.Error()
		if !strings.HasPrefix(msg, "Binding [") {
			msg = "Starting proxies: " + msg
		}
		r.startupLine("ALERT", msg)
	}
	r.startupLine("ALERT", fmt.Sprintf("[%s.main()] Some protocols failed to start their listeners! Exiting.", os.Args[0]))
}

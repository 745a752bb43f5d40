package main

import (
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"fulcrum/confparse"
	"fulcrum/keepalived"
	"fulcrum/vip"
	"fulcrum/vip/elect"
	"fulcrum/vip/notify"
)

// Environment variables the daemon reads.
const (
	// envDaemonChild marks the detached re-executed process (daemon mode
	// without -n): it must not detach again.
	envDaemonChild = "FULCRUM_KEEPALIVED_DETACHED"
	// envDumpDir overrides /tmp as the directory of keepalived.data,
	// keepalived.stats and keepalived.json. It exists for tests only, so
	// parallel runs do not overwrite one another's (or a real daemon's)
	// files; operators' exporters read /tmp as with the reference.
	envDumpDir = "FULCRUM_KEEPALIVED_DUMP_DIR"
)

// The reference's default pid files.
const (
	defaultPidFile      = "/run/keepalived.pid"
	defaultVRRPPidFile  = "/run/keepalived_vrrp.pid"
	defaultCheckPidFile = "/run/keepalived_check.pid"
)

const versionLine = "Keepalived v2.2.7 (Fulcrum)"

// sigJSON is SIGRTMIN+2 as glibc numbers it (SIGRTMIN is 34): the
// reference's JSON dump signal.
const sigJSON = syscall.Signal(36)

// logger writes the reference's log lines: to syslog unless -G, and with
// -l to the console, prefixed with the time as the reference prints it.
type logger struct {
	mu      sync.Mutex
	console io.Writer
	sys     *syslog.Writer
}

func (l *logger) log(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.console != nil {
		fmt.Fprintf(l.console, "%s: %s\n", time.Now().Format("Mon Jan _2 15:04:05 2006"), line)
	}
	if l.sys != nil {
		l.sys.Info(line)
	}
}

func (l *logger) logf(format string, args ...any) { l.log(fmt.Sprintf(format, args...)) }

// facilities are the values of -S.
var facilities = map[string]syslog.Priority{"user": syslog.LOG_USER, "daemon": syslog.LOG_DAEMON,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3,
	"local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7}

func facility(s string) (syslog.Priority, error) {
	if s == "" {
		return syslog.LOG_DAEMON, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 7 {
		return syslog.LOG_LOCAL0 + syslog.Priority(n)<<3, nil
	}
	if f, ok := facilities[s]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("Invalid log facility '%s'", s)
}

// runDaemon runs VRRP until SIGTERM: detached unless -n.
func runDaemon(o *options) int {
	fac, err := facility(o.logFacility)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if !o.dontFork && os.Getenv(envDaemonChild) == "" {
		return detach()
	}
	lg := &logger{}
	if o.logConsole {
		lg.console = os.Stderr
	}
	if !o.noSyslog {
		lg.sys, _ = syslog.New(fac|syslog.LOG_INFO, "Keepalived")
	}
	d := &daemon{o: o, lg: lg}
	return d.run()
}

// detach re-executes this program in a new session with no terminal, as
// the reference's fork does, and returns the parent's exit code.
func detach() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer null.Close()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envDaemonChild+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// daemon is one running keepalived process.
type daemon struct {
	o        *options
	lg       *logger
	engine   *vip.Engine
	plan     *vip.Plan
	cfg      *keepalived.Config
	watcher  *vip.Watcher
	fifo     *notify.FIFO
	fifoPath string // the notify_fifo in use since start
	// badInterface: the configuration names an interface that does not
	// exist, which stops the reference at start.
	badInterface bool
	pidFiles     []string
	status       statusEndpoint // status_http_listen (status.go)

	tmu         sync.Mutex
	transitions map[string]time.Time // each instance's last state change, for the data dump
}

// transition records an instance's state change (the engine's Notify hook).
func (d *daemon) transition(name string, _ elect.State, _ uint8) {
	d.tmu.Lock()
	defer d.tmu.Unlock()
	d.transitions[name] = time.Now()
}

func (d *daemon) lastTransition(name string) time.Time {
	d.tmu.Lock()
	defer d.tmu.Unlock()
	return d.transitions[name]
}

func (d *daemon) run() int {
	o, lg := d.o, d.lg
	lg.logf("Starting %s", versionLine)
	lg.logf("Command line: %s", quoteArgs(os.Args))
	if _, err := os.Stat(o.configFile); err != nil {
		lg.logf("Config files missing '%s'.", o.configFile)
		lg.logf("Stopped %s", versionLine)
		return 6 // as the reference
	}
	if err := d.writePidFiles(); err != nil {
		lg.log(err.Error())
		return 1
	}
	defer d.removePidFiles()

	// Subscribe before starting so no signal is lost during start-up.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, sigJSON)

	cfg, plan, ok := d.load()
	if !ok {
		lg.logf("Stopped %s", versionLine)
		return 1
	}
	if d.badInterface {
		// The reference's VRRP child exits with a configuration error
		// and the parent ends with it.
		lg.log("Stopped")
		lg.logf("pid %d exited with permanent error CONFIG. Terminating", os.Getpid())
		lg.logf("Stopped %s", versionLine)
		return 2
	}
	if o.checkOnly && !o.vrrpOnly {
		lg.log("WARNING: the health-checker (LVS) subsystem is not built in Fulcrum; -C/--check runs nothing")
	}
	runVRRP := !o.checkOnly || o.vrrpOnly
	d.transitions = map[string]time.Time{}
	opt := vip.Options{Log: d.vrrpLog, Notify: d.transition}
	if plan.FIFO != "" && runVRRP {
		f, err := notify.OpenFIFO(plan.FIFO)
		if err != nil {
			lg.logf("Unable to open notify_fifo %s: %v", plan.FIFO, err)
		} else {
			d.fifo, d.fifoPath, opt.FIFO = f, plan.FIFO, f
		}
	}
	d.engine = vip.NewEngine(opt)
	d.watcher = vip.NewWatcher(d.engine, lg.log)
	if runVRRP {
		lg.logf("Starting VRRP child process, pid=%d", os.Getpid())
		d.apply(cfg, plan)
	}
	lg.log("Startup complete")
	sdNotify("READY=1")

	for s := range sigs {
		if d.handle(s, runVRRP) {
			return 0
		}
	}
	return 0
}

// handle acts on one signal as the reference does; true means stop.
func (d *daemon) handle(s os.Signal, runVRRP bool) (stop bool) {
	lg := d.lg
	switch s {
	case syscall.SIGHUP:
		lg.log("Reloading ...")
		sdNotify("RELOADING=1")
		if cfg, plan, ok := d.load(); ok && runVRRP {
			lg.log("Reloading")
			d.apply(cfg, plan)
			lg.log("Reload complete")
		} else if ok {
			lg.log("Reload complete")
		}
		sdNotify("READY=1")
	case syscall.SIGTERM, syscall.SIGINT:
		lg.log("Stopping")
		sdNotify("STOPPING=1")
		d.watcher.Stop()
		d.engine.Stop()
		if d.fifo != nil {
			d.fifo.Close()
		}
		lg.log("Stopped")
		lg.logf("Stopped %s", versionLine)
		return true
	case syscall.SIGUSR1:
		lg.logf("Printing VRRP data for process(%d) on signal", os.Getpid())
		d.dump("keepalived.data", d.writeData)
	case syscall.SIGUSR2:
		lg.logf("Printing VRRP stats for process(%d) on signal", os.Getpid())
		d.dump("keepalived.stats", func(w io.Writer) error { return vip.WriteStats(w, d.engine.Instances()...) })
	case sigJSON:
		lg.logf("Printing VRRP as json for process(%d) on signal", os.Getpid())
		d.dump("keepalived.json", func(w io.Writer) error { return vip.WriteJSON(w, d.engine.Instances()...) })
	}
	return false
}

// nonExistentInterface is the reference's line for a vrrp_instance
// interface that does not exist.
const nonExistentInterface = "Non-existent interface specified in configuration"

// detailOnly are the engine's lines the reference logs only with -D
// (log_detail), matched by what follows the "(INSTANCE) " prefix.
var detailOnly = []string{"Receive advertisement timeout", "setting VIPs.", "removing VIPs.",
	"Sending/queueing gratuitous ARPs", "sent 0 priority", "Netlink reports "}

// vrrpLog logs an engine line, the detailed ones only with -D.
func (d *daemon) vrrpLog(line string) {
	if !d.o.logDetail {
		text := line
		if strings.HasPrefix(text, "(") {
			if _, rest, ok := strings.Cut(text, ") "); ok {
				text = rest
			}
		}
		for _, p := range detailOnly {
			if strings.HasPrefix(text, p) {
				return
			}
		}
	}
	d.lg.log(line)
}

// load reads the configuration and prints its diagnostics and what the
// engine will not act on. A configuration the reference would refuse to
// run is not loaded.
func (d *daemon) load() (*keepalived.Config, *vip.Plan, bool) {
	if d.o.logDetail {
		d.lg.logf("Opening file '%s'.", d.o.configFile)
	}
	d.lg.logf("Configuration file %s", d.o.configFile)
	cfg, diags := keepalived.Load(d.o.configFile, keepalived.LoadOptions{ConfigID: d.o.configID})
	refused := false
	for _, dg := range diags {
		if strings.HasPrefix(dg.Message, "WARNING: '") && strings.HasSuffix(dg.Message, "it has no effect") {
			continue // unbuilt keywords: the plan reports the ones that matter
		}
		if dg.Severity == confparse.Alert && strings.HasPrefix(dg.Message, "configuration cannot be run") {
			refused = true
		}
		d.badInterface = d.badInterface || dg.Message == nonExistentInterface
		d.lg.log(diagLine(dg))
	}
	if refused || cfg == nil {
		d.lg.log("Configuration cannot be run; keeping the current one")
		return nil, nil, false
	}
	plan := vip.FromConfig(cfg)
	for _, w := range plan.Warnings {
		if w.Pos.File == "" {
			w.Pos.File = d.o.configFile // a whole-file matter the model keeps no line for
		}
		d.lg.log(diagLine(w))
	}
	return cfg, plan, true
}

func diagLine(dg confparse.Diagnostic) string {
	switch {
	case dg.Pos.File != "" && dg.Pos.Line > 0:
		return fmt.Sprintf("%s:%d: %s", dg.Pos.File, dg.Pos.Line, dg.Message)
	case dg.Pos.File != "":
		return dg.Pos.File + ": " + dg.Message
	}
	return dg.Message
}

// apply makes the engine run plan: unchanged instances keep their state
// and addresses, unchanged trackers theirs, unchanged static addresses
// and routes stay in place.
func (d *daemon) apply(cfg *keepalived.Config, plan *vip.Plan) {
	if d.plan != nil && plan.FIFO != d.fifoPath {
		d.lg.logf("WARNING: notify_fifo changed from '%s' to '%s': Fulcrum applies it at the next start only", d.fifoPath, plan.FIFO)
	}
	if d.plan == nil || !reflect.DeepEqual(plan.StaticAddrs, d.plan.StaticAddrs) || !reflect.DeepEqual(plan.StaticRoutes, d.plan.StaticRoutes) {
		if err := d.engine.SetStatic(plan.StaticAddrs, plan.StaticRoutes); err != nil {
			d.lg.log(err.Error())
		}
	}
	if err := d.engine.Apply(plan.Instances, plan.Groups); err != nil {
		d.lg.log(err.Error())
	}
	if err := d.watcher.Apply(plan.Watches); err != nil {
		d.lg.log(err.Error())
	}
	d.applyStatus(cfg.Global.StatusHTTPListen)
	d.cfg, d.plan = cfg, plan
}

// writePidFiles writes our pid to the main and VRRP pid files (one
// process plays both the reference's parent and VRRP child) unless a live
// process already holds one.
func (d *daemon) writePidFiles() error {
	o := d.o
	files := []string{or(o.pidFile, defaultPidFile)}
	if !o.checkOnly || o.vrrpOnly {
		files = append(files, or(o.vrrpPidFile, defaultVRRPPidFile))
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && pid != os.Getpid() &&
				syscall.Kill(pid, 0) == nil {
				return fmt.Errorf("daemon is already running")
			}
		}
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pidfile_write : Cannot open %s pidfile: %v", f, err)
		}
		d.pidFiles = append(d.pidFiles, f)
	}
	return nil
}

func (d *daemon) removePidFiles() {
	for _, f := range d.pidFiles {
		os.Remove(f)
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// dump writes name in the dump directory (/tmp, or $FULCRUM_KEEPALIVED_DUMP_DIR
// in tests) through a temporary file, so a reader never sees half of it.
func (d *daemon) dump(name string, write func(io.Writer) error) {
	dir := or(os.Getenv(envDumpDir), "/tmp")
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err == nil {
		err = errors.Join(write(f), f.Close())
		if err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		d.lg.logf("Can't open %s (%v)", path, err)
		os.Remove(tmp)
	}
}

// writeData writes the VRRP part of the reference's keepalived.data:
// its section headers and, per instance, the lines an exporter reads.
func (d *daemon) writeData(w io.Writer) error {
	g := d.cfg.Global
	fmt.Fprintf(w, "------< Global definitions >------\n")
	fmt.Fprintf(w, " Router ID = %s\n", g.RouterID)
	fmt.Fprintf(w, " VRRP IPv4 mcast group = %s\n", or(addrString(g.VRRPMcastGroup4), "224.0.0.18"))
	fmt.Fprintf(w, " VRRP IPv6 mcast group = %s\n", or(addrString(g.VRRPMcastGroup6), "ff02::12"))
	fmt.Fprintf(w, " VRRP skip check advert addresses = %t\n", g.VRRPSkipCheckAdvAddr)
	fmt.Fprintf(w, " VRRP strict mode = %t\n", g.VRRPStrict)
	fmt.Fprintf(w, "------< VRRP Topology >------\n")
	for _, c := range d.plan.Instances {
		inst := d.engine.Instance(c.Name)
		if inst == nil {
			continue
		}
		st := inst.State().String()
		fmt.Fprintf(w, " VRRP Instance = %s\n", c.Name)
		fmt.Fprintf(w, "   VRRP Version = %d\n", c.Version)
		fmt.Fprintf(w, "   State = %s\n", st)
		fmt.Fprintf(w, "   Wantstate = %s\n", st)
		if at := d.lastTransition(c.Name); !at.IsZero() {
			fmt.Fprintf(w, "   Last transition = %d.%06d (%s)\n", at.Unix(), at.Nanosecond()/1000, at.Format("Mon Jan _2 15:04:05.000000 2006"))
		}
		fmt.Fprintf(w, "   Interface = %s\n", c.Interface)
		if c.SrcAddr.IsValid() {
			fmt.Fprintf(w, "   Using src_ip = %s\n", c.SrcAddr)
		}
		if len(c.UnicastPeers) == 0 {
			fmt.Fprintf(w, "   Multicast address %s\n", or(addrString(c.McastGroup), map[bool]string{false: "224.0.0.18", true: "ff02::12"}[c.IPv6()]))
		}
		fmt.Fprintf(w, "   Gratuitous ARP delay = %d\n", int(c.GARPDelay.Seconds()))
		fmt.Fprintf(w, "   Gratuitous ARP repeat = %d\n", c.GARPRepeat)
		fmt.Fprintf(w, "   Gratuitous ARP refresh = %d\n", int(c.GARPRefresh.Seconds()))
		fmt.Fprintf(w, "   Gratuitous ARP refresh repeat = %d\n", c.GARPRefreshRepeat)
		fmt.Fprintf(w, "   Virtual Router ID = %d\n", c.VRID)
		fmt.Fprintf(w, "   Priority = %d\n", c.Priority)
		if c.Version == 3 {
			fmt.Fprintf(w, "   Advert interval = %d milli-sec\n", c.Interval.Milliseconds())
		} else {
			fmt.Fprintf(w, "   Advert interval = %d sec\n", int(c.Interval.Seconds()))
		}
		fmt.Fprintf(w, "   Preempt = %s\n", map[bool]string{true: "disabled", false: "enabled"}[c.NoPreempt])
		auth := "none"
		if c.AuthPass != "" {
			auth = "SIMPLE_PASSWORD"
		}
		fmt.Fprintf(w, "   Authentication type = %s\n", auth)
		fmt.Fprintf(w, "   Virtual IP (%d):\n", len(c.VIPs))
		for _, v := range c.VIPs {
			dev := or(v.Dev, c.Interface)
			set := map[bool]string{true: "set", false: "unset"}[st == "MASTER"]
			fmt.Fprintf(w, "     %s dev %s scope %s %s\n", v.Prefix, dev, scopeName(v.Scope), set)
		}
	}
	return nil
}

func addrString(a interface {
	IsValid() bool
	String() string
}) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func scopeName(n int) string {
	switch n {
	case 0:
		return "global"
	case 200:
		return "site"
	case 253:
		return "link"
	case 254:
		return "host"
	}
	return strconv.Itoa(n)
}

// sdNotify tells systemd about our state when it runs us (the Debian unit
// is Type=notify): a datagram to $NOTIFY_SOCKET ("@" for an abstract
// socket). Nothing when the variable is unset.
func sdNotify(state string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	c.Write([]byte(state))
}

// quoteArgs prints the command line as the reference's "Command line:".
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + a + "'"
	}
	return strings.Join(q, " ")
}

package main

import (
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fulcrum/confparse"
	"fulcrum/haproxy"
	"fulcrum/proxy"
	"fulcrum/proxy/ring"
)

// logTarget is one `log` destination with its format and filters.
type logTarget struct {
	name     string // as written: stdout, stderr, 1.2.3.4:514, /dev/log
	format   string // rfc3164 (default), rfc5424, short, raw, ...
	facility int
	maxLevel int // messages above this syslog level are dropped
	maxLen   int // `len`: a line is cut to maxLen-1 bytes before its LF
	mu       sync.Mutex
	conn     io.WriteCloser // udp or unix datagram socket (logsink.go)
	buf      []byte         // the line being written, reused (under mu)
	ring     *ring.Ring     // ring@NAME: lines go to this ring (rings.go)
	msgCap   int            // ring targets: the longest message (capRingMessages)

	// host and formatNamed decide the header's host field (loghost.go):
	// the log-send-hostname name, and whether `format` was written.
	host        string
	formatNamed bool
}

var facilities = map[string]int{"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
	"news": 7, "uucp": 8, "cron": 9, "auth2": 10, "ftp": 11, "ntp": 12, "audit": 13, "alert": 14, "cron2": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23}

var levels = map[string]int{"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7}

// parseLogArgs reads "TARGET [len N] [format F] [sample R:S] FACILITY [MAX [MIN]]".
func parseLogArgs(args []string) *logTarget {
	if len(args) < 2 {
		return nil
	}
	t := &logTarget{name: args[0], format: "rfc3164", maxLevel: 7, maxLen: 1024}
	i := 1
	for i+1 < len(args) && (args[i] == "len" || args[i] == "format" || args[i] == "sample") {
		switch args[i] {
		case "format":
			t.format, t.formatNamed = args[i+1], true
		case "len":
			if n, err := strconv.Atoi(args[i+1]); err == nil && n > 1 {
				t.maxLen = n
			}
		}
		i += 2
	}
	if i >= len(args) {
		return nil
	}
	t.facility = facilities[args[i]]
	if i+1 < len(args) {
		if l, ok := levels[args[i+1]]; ok {
			t.maxLevel = l
		}
	}
	return t
}

// open connects a network target; stdout and stderr need nothing.
func (t *logTarget) open() {
	switch {
	case t.name == "stdout" || t.name == "stderr" || strings.HasPrefix(t.name, "ring@"):
	default:
		if s := openSink(t.name); s != nil {
			t.conn = s
		}
	}
}

// write formats one message at a syslog level and sends it; sd is the
// structured-data part of RFC 5424 lines ("" for "-"). It returns the
// sending's error.
func (t *logTarget) write(pid, level int, sd, msg []byte) error {
	if level > t.maxLevel {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ring != nil {
		// The line's len cuts the message; the ring's format makes the
		// header and its maxlen cuts the whole line (ring.go).
		if n := min(t.maxLen, t.msgCap); len(msg) > n {
			msg = msg[:n]
		}
		t.buf = append(t.appendHeader(t.buf[:0], pid, level, sd), msg...)
		t.ring.Write(t.buf)
		return nil
	}
	b := t.appendHeader(t.buf[:0], pid, level, sd)
	b = append(b, msg...)
	if len(b) > t.maxLen-1 {
		b = b[:t.maxLen-1] // as the reference, which cuts at its buffer
	}
	b = append(b, '\n')
	t.buf = b
	var err error
	switch {
	case t.name == "stdout":
		_, err = os.Stdout.Write(b)
	case t.name == "stderr":
		_, err = os.Stderr.Write(b)
	case t.conn != nil:
		_, err = t.conn.Write(b)
	}
	return err
}

// appendHeader appends the syslog header of t's format for a message at
// level; sd is the RFC 5424 structured data ("" for "-").
func (t *logTarget) appendHeader(b []byte, pid, level int, sd []byte) []byte {
	pri := t.facility*8 + level
	if t.format != "raw" && t.format != "iso" {
		b = append(b, '<')
		if t.format == "short" || t.format == "timed" {
			pri = level
		}
		b = strconv.AppendInt(b, int64(pri), 10)
		b = append(b, '>')
	}
	switch t.format {
	case "raw", "short", "priority":
	case "rfc5424":
		b = append(b, "1 "...)
		b = time.Now().AppendFormat(b, "2006-01-02T15:04:05.000000-07:00 ") // local time, as the reference
		b = append(b, t.hostField()...)
		b = append(b, " haproxy "...)
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, " - "...)
		if len(sd) == 0 {
			b = append(b, '-')
		}
		b = append(b, sd...)
		b = append(b, ' ')
	case "timed", "iso":
		b = time.Now().AppendFormat(b, "2006-01-02T15:04:05.000000-07:00 ")
	default:
		b = time.Now().AppendFormat(b, "Jan _2 15:04:05 ")
		if host := t.hostField(); host != "" {
			b = append(append(b, host...), ' ')
		}
		b = append(b, "haproxy["...)
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, "]: "...)
	}
	return b
}

// logger routes the engine's messages and access records to the
// configured targets.
type logger struct {
	pid   int
	quiet bool // -q or global quiet: nothing on stderr
	state atomic.Pointer[logState]
	// startup, while set, takes the engine's messages as configuration
	// diagnostics (server states loaded before the start): the reference
	// prints them with "config : " and logs nothing yet.
	startup atomic.Pointer[reporter]
}

// logState is one configuration's targets.
type logState struct {
	global []*logTarget
	// frontends maps a frontend to its log targets; what it logs and
	// in which format comes with each Record (Record.Log).
	frontends map[string][]*logTarget
	// proxies maps every proxy (a backend over a frontend of the same
	// name) to its targets, for the events it logs (server states).
	proxies map[string][]*logTarget
	// rings are the configuration's ring sections, in their order.
	rings []*ring.Ring
}

func newLogger(cfg *haproxy.Config, pid int, quiet bool) *logger {
	l := &logger{pid: pid, quiet: quiet}
	l.configure(cfg)
	return l
}

// configure builds the targets of cfg (global, and per frontend with
// `log global` or its own targets).
func (l *logger) configure(cfg *haproxy.Config) {
	st := &logState{frontends: map[string][]*logTarget{}, proxies: map[string][]*logTarget{}, rings: buildRings(cfg)}
	byName := map[string]*logTarget{}
	host := logHostname(cfg) // loghost.go
	target := func(args []string) *logTarget {
		key := strings.Join(args, " ")
		if t := byName[key]; t != nil {
			return t
		}
		t := parseLogArgs(args)
		if t != nil {
			t.host = host
			st.attachRing(t)
			t.open()
			byName[key] = t
		}
		return t
	}
	if cfg.Global.Section != nil {
		for _, d := range cfg.Global.Section.Lines {
			if d.Keyword == "log" {
				if t := target(d.Args); t != nil {
					st.global = append(st.global, t)
				}
			}
		}
	}
	// Formats come from the raw lines; the model keeps targets and levels.
	raw := map[string][]string{}
	for _, sec := range cfg.Order {
		for _, d := range sec.Lines {
			if d.Keyword == "log" && len(d.Args) > 1 {
				raw[d.Args[0]] = d.Args
			}
		}
	}
	for _, px := range cfg.Proxies {
		var ts []*logTarget
		for _, lg := range px.Logs {
			if lg.Global {
				ts = append(ts, st.global...)
			} else if args := raw[lg.Target]; args != nil {
				if t := target(args); t != nil {
					ts = append(ts, t)
				}
			}
		}
		if _, taken := st.proxies[px.Name]; !taken || px.Kind != "frontend" {
			st.proxies[px.Name] = ts
		}
		if len(ts) > 0 && px.Kind != "backend" {
			st.frontends[px.Name] = ts
		}
	}
	capRingMessages(byName)
	if old := l.state.Swap(st); old != nil {
		closeUnused(old, byName)
		closeRings(old.rings)
	}
}

// closeUnused closes the sockets of an older configuration's targets.
func closeUnused(old *logState, kept map[string]*logTarget) {
	keep := map[*logTarget]bool{}
	for _, t := range kept {
		keep[t] = true
	}
	all := append([]*logTarget(nil), old.global...)
	for _, ts := range old.frontends {
		all = append(all, ts...)
	}
	for _, t := range all {
		if !keep[t] && t.conn != nil {
			t.conn.Close()
		}
	}
}

// send writes msg to targets (nil = the global ones).
func (l *logger) send(targets []*logTarget, level int, msg string) {
	l.sendBytes(targets, level, nil, []byte(msg))
}

func (l *logger) sendBytes(targets []*logTarget, level int, sd, msg []byte) {
	if targets == nil {
		targets = l.state.Load().global
	}
	for i, t := range targets {
		reportSendError(l.quiet, l.pid, i+1, t.write(l.pid, level, sd, msg))
	}
}

// engineMessage prints an engine message on stderr the way HAProxy
// labels it and sends it to the global log targets at the syslog level
// HAProxy uses for it.
func (l *logger) engineMessage(lv proxy.Level, px, msg string) {
	if r := l.startup.Load(); r != nil {
		sev := map[proxy.Level]confparse.Severity{proxy.Alert: confparse.Alert, proxy.Warning: confparse.Warning,
			proxy.Notice: confparse.Notice, proxy.Info: confparse.Notice}[lv]
		r.print(confparse.Diagnostic{Severity: sev, Message: msg})
		return
	}
	if !l.quiet {
		shown := msg
		if strings.Contains(msg, "source address before connect()") {
			shown += " Aborting." // on the terminal only, as the reference
		}
		fmt.Fprintf(os.Stderr, "%-11s(%d) : %s\n", "["+lv.String()+"]", l.pid, shown)
	}
	level := map[proxy.Level]int{proxy.Alert: 0, proxy.Warning: 4, proxy.Notice: 5, proxy.Info: 6}[lv]
	switch {
	case strings.Contains(msg, " is DOWN"):
		level = 1
	case strings.Contains(msg, " is UP"):
		level = 5
	case strings.HasPrefix(msg, "Blocking cacheable cookie"):
		level = 1 // LOG_ALERT, where the other alerts are LOG_EMERG
	}
	if strings.HasSuffix(msg, " has no server available!") {
		// The log line names the proxy without quotes.
		msg = strings.ReplaceAll(msg, "'", "")
	}
	targets := l.state.Load().global
	if terminalOnly(msg) {
		targets = nil
	}
	if px != "" {
		// A proxy's events go to its own targets only (none without
		// a log line, as in the reference), not to the global ones.
		targets = l.state.Load().proxies[px]
	}
	for i, t := range targets {
		reportSendError(l.quiet, l.pid, i+1, t.write(l.pid, level, nil, []byte(msg)))
	}
}

// access logs a finished connection (tcp mode) or request (http mode)
// in its frontend's format (option tcplog, option httplog, log-format),
// at the level its log options give.
func (l *logger) access(r *proxy.Record) {
	ts := l.state.Load().frontends[r.Frontend]
	if len(ts) == 0 {
		return
	}
	level, skip := r.Level()
	if skip {
		return
	}
	bp := lineBufs.Get().(*[]byte)
	line := r.AppendLine((*bp)[:0])
	sd := r.AppendSD(line[len(line):])
	l.sendBytes(ts, level, sd, line)
	*bp = line[:0]
	lineBufs.Put(bp)
}

// lineBufs keeps access lines' buffers between lines.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// lookupIDs resolves the global user and group (-1 when unset).
func lookupIDs(userName, groupName string) (uid, gid int, err error) {
	uid, gid = -1, -1
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			return 0, 0, fmt.Errorf("[%s.main()] Cannot find user id for '%s'", os.Args[0], userName)
		}
		uid, _ = strconv.Atoi(u.Uid)
		if groupName == "" {
			gid, _ = strconv.Atoi(u.Gid)
		}
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			return 0, 0, fmt.Errorf("[%s.main()] Cannot find group id for '%s'", os.Args[0], groupName)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}

// terminalOnly reports the messages the reference prints on its terminal
// and never logs: an external check's command that cannot be run (its
// forked child says so) or that is killed at its timeout.
func terminalOnly(msg string) bool {
	return strings.HasPrefix(msg, "Failed to exec process for external health check: ") ||
		strings.HasPrefix(msg, "Failed to fork process for external health check ") ||
		strings.HasPrefix(msg, "kill ") && strings.Trim(msg[len("kill "):], "0123456789") == ""
}

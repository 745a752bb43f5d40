package haproxy

import (
	"fmt"
	"strings"
)

// globalStatsArgs checks the values of "stats socket|timeout|maxconn" in
// the global section as the reference does; false when refused.
func (l *loader) globalStatsArgs(d line) bool {
	switch d.arg(0) {
	case "socket":
		if addr := d.arg(1); !strings.HasPrefix(addr, "/") && !strings.Contains(addr, "@") {
			if _, msg := l.parseAddr(addr, addrBind); msg != "" {
				l.alert(d.pos, fmt.Sprintf("parsing [%s:%d] : 'stats socket' : %s", d.pos.File, d.pos.Line, msg))
				return false
			}
		}
		for i := 2; i+1 < len(d.args); i++ {
			v := d.args[i+1]
			switch d.args[i] {
			case "level":
				if v != "user" && v != "operator" && v != "admin" {
					l.alert(d.pos, fmt.Sprintf("'stats socket' : ''level' only supports 'user', 'operator', and 'admin' (got '%s')'", v))
					return false
				}
			case "expose-fd":
				if v != "listeners" {
					l.alert(d.pos, fmt.Sprintf("'stats socket' : ''expose-fd' only supports 'listeners' (got '%s')'", v))
					return false
				}
			case "mode":
				if v == "" || strings.Trim(v, "01234567") != "" {
					l.alert(d.pos, fmt.Sprintf("'stats socket' : ''mode' : missing or invalid mode '%s' (octal integer expected)'", v))
					return false
				}
			}
			i += bindOptions[d.args[i]]
		}
		if n := len(d.args); n > 2 && d.args[n-1] == "process" {
			l.alert(d.pos, "'stats socket' : ''process' : '' is not a valid number/range. It supports numbers from 1 to 1.\n'")
			return false
		}
	case "timeout":
		v := d.arg(1)
		if v == "" {
			// sic: the reference prints the NUL that ends the value
			l.alert(d.pos, "'stats timeout' : unexpected character '")
			return false
		}
		if _, msg := parseTime(v); msg != "" {
			l.alert(d.pos, fmt.Sprintf("'stats timeout' : unexpected character '%c'", badTimeChar(v)))
			return false
		}
	case "maxconn":
		if atoi(d.arg(1)) <= 0 {
			l.alert(d.pos, "'stats maxconn' expects a positive value")
			return false
		}
	}
	return true
}

// cpuMapArgs checks "cpu-map [auto:]PROCESS[/THREAD] CPU-RANGE...".
func cpuMapArgs(l *loader, d line) bool {
	if !cpuSet(strings.TrimPrefix(d.arg(0), "auto:"), true) || len(d.args) < 2 {
		l.alert(d.pos, "cpu-map expects a process number  ('all', 'odd', 'even', a number from 1 to 64 or a range),  followed by a list of CPU ranges with numbers from 0 to 63.")
		return false
	}
	for _, r := range d.args[1:] {
		if !cpuSet(r, false) {
			l.alert(d.pos, fmt.Sprintf("cpu-map : '%s' is not a CPU range.", r))
			return false
		}
	}
	return true
}

// cpuSet: a number or a range (process sets also take all/odd/even and
// a "/thread" part).
func cpuSet(s string, process bool) bool {
	if process {
		if p, _, ok := strings.Cut(s, "/"); ok {
			s = p
		}
		if s == "all" || s == "odd" || s == "even" {
			return true
		}
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, _ := strings.Cut(part, "-")
		if lo == "" && hi == "" || strings.Trim(lo, "0123456789") != "" || strings.Trim(hi, "0123456789") != "" {
			return false
		}
	}
	return true
}

// idArgs warns about a uid or gid that is not a number, as the reference.
func idArgs(l *loader, d line) bool {
	if v := d.arg(0); strings.Trim(v, "0123456789") != "" {
		l.warn(d.pos, fmt.Sprintf(" %s: string '%s' is not a number.", d.kw, v))
	}
	return true
}

// defaultPathArgs checks "default-path current|config|parent|origin PATH".
func defaultPathArgs(l *loader, d line) bool {
	switch d.arg(0) {
	case "current", "config", "parent", "origin":
		return l.setDefaultPath(d) // defaultpath.go
	}
	l.alert(d.pos, fmt.Sprintf("unsupported default-path mode '%s' for 'default-path', supported modes include 'current', 'config', 'parent', and 'origin'.", d.arg(0)))
	return false
}

func init() {
	globalShapes["tune.ssl.keylog"] = onOff()
	globalShapes["cpu-map"] = cpuMapArgs
	globalShapes["uid"], globalShapes["gid"] = idArgs, idArgs
	globalShapes["default-path"] = defaultPathArgs
	globalShapes["ssl-server-verify"] = choice("'%s' expects 'none' or 'required' as argument.%.0s", "none", "required")
}

// masterWorkerArgs: "master-worker [no-exit-on-failure]".
func masterWorkerArgs(l *loader, d line) bool {
	if len(d.args) > 0 && d.args[0] != "no-exit-on-failure" {
		l.alert(d.pos, "'master-worker' only supports 'no-exit-on-failure' option.")
		return false
	}
	return true
}

// luaPrependPathArgs: "lua-prepend-path PATH [path|cpath]".
func luaPrependPathArgs(l *loader, d line) bool {
	if len(d.args) > 1 && d.args[1] != "path" && d.args[1] != "cpath" {
		l.alert(d.pos, "'lua-prepend-path' expects <type> to either be 'path' or 'cpath'")
		return false
	}
	return true
}

func init() {
	globalShapes["master-worker"] = masterWorkerArgs
	globalShapes["lua-prepend-path"] = luaPrependPathArgs
}

// Command haproxy is Fulcrum's drop-in replacement for the haproxy binary.
// main.go reads the command line the way HAProxy 2.6 does and dispatches:
// check.go runs -c and -cc, version.go prints -v/-vv; the daemon mode will
// live in its own file.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"fulcrum/confparse/haproxycfg"
)

// flags is the parsed command line.
type flags struct {
	files      []string
	check      bool   // -c
	condition  string // -cc EXPR
	hasCond    bool
	quiet      bool // -q
	zeroWarn   bool // -dW
	diagMode   bool // -dD
	noResolve  bool // -dr
	version    int  // 1 for -v, 2 for -vv
	chdir      string
	daemonArgs []string // flags only the daemon mode uses, kept for it
}

// withValue are the flags that consume the next argument.
var withValue = map[string]bool{"-f": true, "-cc": true, "-n": true, "-N": true, "-p": true, "-m": true,
	"-C": true, "-L": true, "-x": true, "-S": true}

// daemonFlags are accepted here and acted on by the daemon mode.
var daemonFlags = map[string]bool{"-D": true, "-W": true, "-Ws": true, "-db": true, "-d": true, "-V": true,
	"-de": true, "-dp": true, "-dS": true, "-dG": true, "-dR": true, "-dV": true, "-dL": true, "-n": true,
	"-N": true, "-p": true, "-m": true, "-L": true, "-x": true, "-S": true}

func parseFlags(args []string) (flags, bool) {
	var f flags
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			f.files = append(f.files, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return f, false
		}
		val := ""
		if withValue[a] {
			if i+1 >= len(args) {
				return f, false
			}
			i++
			val = args[i]
		}
		switch {
		case a == "-f":
			f.files = append(f.files, val)
		case a == "-c":
			f.check = true
		case a == "-cc":
			f.condition, f.hasCond = val, true
		case a == "-q":
			f.quiet = true
		case a == "-dW":
			f.zeroWarn = true
		case a == "-dD":
			f.diagMode = true
		case a == "-dr":
			f.noResolve = true
		case a == "-v":
			f.version = 1
		case a == "-vv":
			f.version = 2
		case a == "-C":
			f.chdir = val
		case a == "-sf" || a == "-st":
			// PIDs follow until the next flag.
			f.daemonArgs = append(f.daemonArgs, a)
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				f.daemonArgs = append(f.daemonArgs, args[i])
			}
		case strings.HasPrefix(a, "-dM") || strings.HasPrefix(a, "-dK"):
			f.daemonArgs = append(f.daemonArgs, a)
		case daemonFlags[a]:
			f.daemonArgs = append(f.daemonArgs, a)
			if val != "" {
				f.daemonArgs = append(f.daemonArgs, val)
			}
		default:
			return f, false
		}
	}
	return f, true
}

func main() {
	// A check is a short-lived process that builds a model once: collect
	// only if memory grows past a soft limit, not every few megabytes.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(512 << 20)
	f, ok := parseFlags(os.Args[1:])
	if !ok {
		usage()
	}
	if spec := os.Getenv(envProgram); spec != "" {
		os.Exit(execProgram(spec, f)) // a program the master starts
	}
	switch {
	case f.version > 0:
		printVersion(f.version)
		os.Exit(0)
	case f.hasCond:
		os.Exit(checkCondition(f))
	}
	if f.chdir != "" {
		if err := os.Chdir(f.chdir); err != nil {
			newReporter(f).alert(fmt.Sprintf("Could not change to directory %s : %s", f.chdir, err))
			os.Exit(1)
		}
	}
	// A directory without *.cfg files leaves nothing to read: usage, as
	// with no -f at all.
	if len(haproxycfg.ExpandPaths(f.files)) == 0 {
		usage()
	}
	if f.check {
		os.Exit(runCheck(f))
	}
	stopProfile := startCPUProfile()
	code := runDaemon(f)
	stopProfile()
	os.Exit(code)
}

// usage prints the banner and the reference's usage text and exits 1.
func usage() {
	printBanner()
	fmt.Fprint(os.Stderr, usageText)
	os.Exit(1)
}

const usageText = `Usage : haproxy [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]
        [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]
        -v displays version ; -vv shows known build options.
        -d enters debug mode ; -db only disables background mode.
        -dM[<byte>,help,...] debug memory (default: poison with <byte>/0x50)
        -V enters verbose mode (disables quiet mode)
        -D goes daemon ; -C changes to <dir> before loading files.
        -W master-worker mode.
        -Ws master-worker mode with systemd notify support.
        -q quiet mode : don't display messages
        -c check mode : only check config files and exit
        -cc check condition : evaluate a condition and exit
        -n sets the maximum total # of connections (uses ulimit -n)
        -m limits the usable amount of memory (in MB)
        -N sets the default, per-proxy maximum # of connections (0)
        -L set local peer name (default to hostname)
        -p writes pids of all children to this file
        -de disables epoll() usage even when available
        -dp disables poll() usage even when available
        -dS disables splice usage (broken on old kernels)
        -dG disables getaddrinfo() usage
        -dR disables SO_REUSEPORT usage
        -dL dumps loaded object files after config checks
        -dK{class[,...]} dump registered keywords (use 'help' for list)
        -dr ignores server address resolution failures
        -dV disables SSL verify on servers side
        -dW fails if any warning is emitted
        -dD diagnostic mode : warn about suspicious configuration statements
        -sf/-st [pid ]* finishes/terminates old pids.
        -x <unix_socket> get listening sockets from a unix socket
        -S <bind>[,<bind options>...] new master CLI

`

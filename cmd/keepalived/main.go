// Command keepalived is Fulcrum's drop-in replacement for the keepalived
// binary. main.go parses the reference's command line and dispatches;
// configtest.go implements -t; daemon.go runs VRRP (the vip engine) as the
// reference's daemon does: pid files, signals, log lines, dumps.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const defaultConfigFile = "/etc/keepalived/keepalived.conf"

// options is the parsed command line, named as keepalived(8) names them.
type options struct {
	configFile   string
	configTest   bool
	testLogFile  string
	configID     string
	logConsole   bool
	logDetail    bool
	noSyslog     bool
	dontFork     bool
	vrrpOnly     bool
	checkOnly    bool
	noBFD        bool
	pidFile      string
	vrrpPidFile  string
	checkPidFile string
	bfdPidFile   string
	logFacility  string
	version      bool
	help         bool
	dumpConf     bool
}

// flagSpec describes one option: its short and long names and whether it
// takes an argument (required, optional or none).
type flagSpec struct {
	short byte
	long  string
	arg   int // 0 none, 1 required, 2 optional (only as --long=X or -xX)
	set   func(o *options, v string)
}

var specs = []flagSpec{
	{'f', "use-file", 1, func(o *options, v string) { o.configFile = v }},
	{'P', "vrrp", 0, func(o *options, v string) { o.vrrpOnly = true }},
	{'C', "check", 0, func(o *options, v string) { o.checkOnly = true }},
	{'B', "no_bfd", 0, func(o *options, v string) { o.noBFD = true }},
	{0, "all", 0, func(o *options, v string) {}},
	{'l', "log-console", 0, func(o *options, v string) { o.logConsole = true }},
	{'D', "log-detail", 0, func(o *options, v string) { o.logDetail = true }},
	{'S', "log-facility", 1, func(o *options, v string) { o.logFacility = v }},
	{'G', "no-syslog", 0, func(o *options, v string) { o.noSyslog = true }},
	{'u', "umask", 1, func(o *options, v string) {}},
	{'X', "release-vips", 0, func(o *options, v string) {}},
	{'V', "dont-release-vrrp", 0, func(o *options, v string) {}},
	{'I', "dont-release-ipvs", 0, func(o *options, v string) {}},
	{'R', "dont-respawn", 0, func(o *options, v string) {}},
	{'n', "dont-fork", 0, func(o *options, v string) { o.dontFork = true }},
	{'d', "dump-conf", 0, func(o *options, v string) { o.dumpConf = true }},
	{'p', "pid", 1, func(o *options, v string) { o.pidFile = v }},
	{'r', "vrrp_pid", 1, func(o *options, v string) { o.vrrpPidFile = v }},
	{'c', "checkers_pid", 1, func(o *options, v string) { o.checkPidFile = v }},
	{'a', "address-monitoring", 0, func(o *options, v string) {}},
	{'b', "bfd_pid", 1, func(o *options, v string) { o.bfdPidFile = v }},
	{'x', "snmp", 0, func(o *options, v string) {}},
	{'A', "snmp-agent-socket", 1, func(o *options, v string) {}},
	{'s', "namespace", 1, func(o *options, v string) {}},
	{'m', "core-dump", 0, func(o *options, v string) {}},
	{'M', "core-dump-pattern", 2, func(o *options, v string) {}},
	{'e', "all-config", 0, func(o *options, v string) {}},
	{'i', "config-id", 1, func(o *options, v string) { o.configID = v }},
	{'t', "config-test", 2, func(o *options, v string) { o.configTest, o.testLogFile = true, v }},
	{'v', "version", 0, func(o *options, v string) { o.version = true }},
	{'h', "help", 0, func(o *options, v string) { o.help = true }},
}

// parseArgs reads the command line the way getopt_long does for the
// reference: bundled short options, `-fFILE` or `-f FILE`, `--long=X` or
// `--long X`, and unambiguous long-name prefixes.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, val, hasVal := strings.Cut(a[2:], "=")
			sp, err := findLong(name)
			if err != nil {
				return nil, err
			}
			switch sp.arg {
			case 0:
				if hasVal {
					return nil, fmt.Errorf("Unknown option --%s", name+"="+val)
				}
			case 1:
				if !hasVal {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("Missing parameter for option --%s", sp.long)
					}
					i++
					val = args[i]
				}
			}
			sp.set(o, val)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				sp := findShort(a[j])
				if sp == nil {
					return nil, fmt.Errorf("Unknown option -%c", a[j])
				}
				if sp.arg == 0 {
					sp.set(o, "")
					continue
				}
				val := a[j+1:]
				if val == "" && sp.arg == 1 {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("Missing parameter for option -%c", a[j])
					}
					i++
					val = args[i]
				}
				sp.set(o, val)
				break
			}
		default:
			return nil, fmt.Errorf("Unknown option %s", a)
		}
	}
	return o, nil
}

func findShort(c byte) *flagSpec {
	for i := range specs {
		if specs[i].short == c && c != 0 {
			return &specs[i]
		}
	}
	return nil
}

func findLong(name string) (*flagSpec, error) {
	var found *flagSpec
	for i := range specs {
		if specs[i].long == name {
			return &specs[i], nil
		}
		if strings.HasPrefix(specs[i].long, name) {
			if found != nil {
				return nil, fmt.Errorf("Unknown option --%s", name)
			}
			found = &specs[i]
		}
	}
	if found == nil {
		return nil, fmt.Errorf("Unknown option --%s", name)
	}
	return found, nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [OPTION...]\n", os.Args[0])
	fmt.Fprint(w, `  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -n, --dont-fork              Don't fork the daemon process
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
  -v, --version                Display the version number
  -h, --help                   Display this help message
`)
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err != nil {
		// The reference prints only this line and exits 1.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if o.configFile == "" {
		o.configFile = defaultConfigFile
	}
	switch {
	case o.help:
		usage(os.Stderr)
		os.Exit(0)
	case o.version:
		fmt.Fprintln(os.Stderr, "Keepalived v2.2.7 (Fulcrum, configuration compatible)")
		os.Exit(0)
	case o.configTest:
		os.Exit(configTest(o))
	}
	os.Exit(runDaemon(o))
}

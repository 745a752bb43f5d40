package main

import (
	"fmt"
	"os"
	"strings"

	"fulcrum/confparse"
	"fulcrum/confparse/haproxycfg"
	"fulcrum/haproxy"
	"fulcrum/proxy"
)

// reporter prints diagnostics the way the reference does: a label padded
// to 11 columns, the PID, "config : " and the message; the two NOTICE
// header lines come before the first warning or alert.
type reporter struct {
	quiet     bool
	noConfig  bool // a -W worker: its master reported the configuration's warnings
	diag      bool
	pid       int
	headerOut bool
	warnings  int
}

func newReporter(f flags) *reporter {
	return &reporter{quiet: f.quiet, diag: f.diagMode, pid: os.Getpid()}
}

func (r *reporter) line(label, text string) {
	if r.quiet {
		return
	}
	fmt.Fprintf(os.Stderr, "%-11s(%d) : %s\n", "["+label+"]", r.pid, text)
}

// startupLine prints a warning or an alert of the starting process: like
// the reference's, the first one comes after the version notices (a
// running process prints its messages without them).
func (r *reporter) startupLine(label, text string) {
	r.header()
	r.line(label, text)
}

func (r *reporter) header() {
	if r.headerOut {
		return
	}
	r.headerOut = true
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	r.line("NOTICE", "haproxy version is "+version)
	r.line("NOTICE", "path to executable is "+exe)
}

func (r *reporter) print(d confparse.Diagnostic) {
	if r.noConfig && d.Severity < confparse.Alert {
		return
	}
	label := d.Severity.String()
	msg := d.Message
	if strings.HasPrefix(msg, haproxycfg.DiagPrefix) {
		label, msg = "DIAG", strings.TrimPrefix(msg, haproxycfg.DiagPrefix)
	}
	if d.Severity >= confparse.Warning {
		r.header()
	}
	if d.Severity == confparse.Warning {
		r.warnings++
	}
	r.line(label, "config : "+msg)
}

func (r *reporter) alert(msg string) {
	r.print(confparse.Diagnostic{Severity: confparse.Alert, Message: msg})
}

// stdout prints a summary line unless quiet.
func (r *reporter) stdout(s string) {
	if !r.quiet {
		fmt.Println(s)
	}
}

// loadAndReport reads the configuration and prints its diagnostics; a
// "quiet" in the global section silences what follows it.
func loadAndReport(f flags) (*haproxy.Config, *reporter) {
	opts := parseDaemonArgs(f.daemonArgs)
	cfg, diags := haproxy.LoadWith(haproxy.Options{IgnoreResolveErrors: f.noResolve, Diag: f.diagMode,
		LocalPeer: opts.localPeer, MasterWorker: opts.master}, f.files...)
	r := newReporter(f)
	for i, d := range diags {
		if cfg != nil && cfg.Global.Quiet && i == cfg.QuietFrom {
			r.quiet = true
		}
		r.print(d)
	}
	if cfg != nil && cfg.Global.Quiet {
		r.quiet = true
	}
	return cfg, r
}

// runCheck is -c: load, report, and exit like the reference.
func runCheck(f flags) int {
	cfg, r := loadAndReport(f)
	if os.Getenv("FULCRUM_SHOW_PENDING") == "1" && cfg != nil {
		// Shown for information: they neither fail -dW nor add
		// "Warnings were found.".
		counted := r.warnings
		for _, d := range cfg.Pending {
			if !actedOn(cfg, d) {
				r.print(d)
			}
		}
		r.warnings = counted
	}
	verdict := haproxy.Verdict(cfg)
	if verdict == haproxy.Invalid {
		return 1
	}
	if alerts := proxy.ProcVarErrors(cfg); len(alerts) > 0 {
		for _, d := range alerts {
			r.print(d)
		}
		r.alert("Error(s) found in configuration file : " + alerts[0].Pos.File)
		r.alert("Fatal errors found in configuration.")
		return 1
	}
	if alerts := proxy.LogFormatErrors(cfg); len(alerts) > 0 {
		for _, d := range alerts {
			r.print(d)
		}
		r.alert("Fatal errors found in configuration.")
		return 1
	}
	zeroWarn := f.zeroWarn || cfg.ZeroWarning()
	if r.warnings > 0 && zeroWarn {
		r.alert("Some warnings were found and 'zero-warning' is set. Aborting.")
		return 1
	}
	if r.warnings > 0 {
		r.stdout("Warnings were found.")
	}
	if verdict == haproxy.NoListener {
		r.stdout("Configuration file has no error but will not start (no listener) => exit(2).")
		return 2
	}
	r.stdout("Configuration file is valid")
	return 0
}

// checkCondition is -cc: 0 when true, 1 when false, 2 on error.
func checkCondition(f flags) int {
	ok, err := haproxycfg.EvalCondition(f.condition, haproxy.DefaultBuild())
	if err != nil {
		newReporter(f).alert("Failed to evaluate condition: " + err.Error())
		return 2
	}
	if ok {
		return 0
	}
	return 1
}

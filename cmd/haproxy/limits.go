package main

import (
	"os"
	"runtime"
	"strconv"

	"fulcrum/haproxy"
	"fulcrum/proxy"
	"fulcrum/proxy/fdlimit"
)

// maxThreads is the reference's MAX_THREADS: its default nbthread is the
// CPUs it may run on, up to that.
const maxThreads = 64

// mworkerCLIConns are the connections the reference's master CLI (-S)
// accepts at once, reserved with its listener.
const mworkerCLIConns = 10

// applyLimits gives the process the descriptor limits the reference
// derives from the configuration: maxconn when none is set, RLIMIT_NOFILE
// raised to ulimit-n (or to what maxconn needs), the reference's alert or
// warning when that fails, and the figures `show info` reports. It is
// false when strict-limits (on by default) makes a failure fatal.
func applyLimits(cfg *haproxy.Config, ecfg *proxy.Config, opts daemonOpts, r *reporter) bool {
	fdlimit.RestoreBoot()
	sys := fdlimit.Process{}
	boot, err := sys.Get()
	if err != nil {
		return true
	}
	held := proxy.HeldFDs(cfg, ecfg, opts.localPeer)
	if opts.master || cfg.Global.MasterWorker {
		held++ // the worker's socket pair to its master
	}
	if opts.masterCLI != "" {
		held += 1 + mworkerCLIConns
	}
	b := fdlimit.Budget{Held: held, NbThread: cfg.Global.NbThread, MaxConn: ecfg.MaxConn,
		UlimitN: globalInt(cfg, "ulimit-n"), HardLimit: globalInt(cfg, "fd-hard-limit")}
	if b.NbThread == 0 {
		b.NbThread = min(runtime.NumCPU(), maxThreads)
	}
	l := b.Compute(boot)
	msgs, fatal := fdlimit.Apply(sys, &l, b.HardLimit, strictLimits(cfg), os.Args[0])
	for _, m := range msgs {
		r.header()
		r.line(m.Level, m.Text)
	}
	if fatal {
		return false
	}
	ecfg.MaxConn, ecfg.Limits = l.MaxConn, l
	return true
}

// globalInt is a global keyword's integer argument (0 when absent).
func globalInt(cfg *haproxy.Config, kw string) int {
	n, _ := strconv.Atoi(cfg.Global.Arg(kw))
	return n
}

// strictLimits is strict-limits: on unless `no strict-limits` is the
// last word on it.
func strictLimits(cfg *haproxy.Config) bool {
	strict := true
	if cfg.Global.Section == nil {
		return strict
	}
	for _, d := range cfg.Global.Section.Lines {
		switch {
		case d.Keyword == "strict-limits":
			strict = true
		case (d.Keyword == "no" || d.Keyword == "default") && len(d.Args) > 0 && d.Args[0] == "strict-limits":
			strict = d.Keyword == "default"
		}
	}
	return strict
}

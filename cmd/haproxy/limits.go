package main

import (
	"fmt"
	"os"
	"runtime"

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
	b := proxy.FDBudget(cfg, ecfg, opts.localPeer)
	if opts.master || cfg.Global.MasterWorker {
		b.Held++ // the worker's socket pair to its master
	}
	if opts.masterCLI != "" {
		b.Held += 1 + mworkerCLIConns
	}
	b.NbThread = cfg.Global.NbThread
	if b.NbThread == 0 {
		b.NbThread = min(runtime.NumCPU(), maxThreads)
	}
	l := b.Compute(boot)
	if opts.verbose && ecfg.MaxConn == 0 && inherited == nil { // a worker's master said it
		fmt.Fprintf(os.Stderr, "Note: setting global.maxconn to %d.\n", l.MaxConn)
	}
	msgs, fatal := fdlimit.Raise(sys, &l, b.HardLimit, strictLimits(cfg), os.Args[0])
	for _, m := range msgs {
		r.startupLine(m.Level, m.Text)
	}
	if fatal {
		return false
	}
	ecfg.MaxConn, ecfg.Limits = l.MaxConn, l
	if ecfg.Stats != nil {
		// Frontends without a maxconn of their own take the global one.
		ecfg.Stats.MaxConn = l.MaxConn
	}
	return true
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

// limitHighEnough is the reference's check of the descriptor limit once
// the listeners are bound and the privileges dropped: an alert when it is
// below what maxconn needs, and false (exit) with strict-limits.
func limitHighEnough(cfg *haproxy.Config, ecfg *proxy.Config, r *reporter) bool {
	if ecfg.Limits.MaxSock == 0 {
		return true
	}
	msg, fatal := fdlimit.CheckLow(fdlimit.Process{}, ecfg.Limits, strictLimits(cfg), os.Args[0])
	if msg != nil {
		r.startupLine(msg.Level, msg.Text)
	}
	return !fatal
}

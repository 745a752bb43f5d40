// Package track watches what VRRP instances track: vrrp_script commands
// (interval, timeout, rise, fall, init_fail), interfaces (link state
// through netlink), vrrp_track_file numbers and vrrp_track_process
// processes, and reports each change.
package track

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	"fulcrum/vip/notify"
)

// Script is one vrrp_script.
type Script struct {
	Name     string
	Cmd      notify.Script // script words and user
	Interval time.Duration // default 1s
	Timeout  time.Duration // default Interval
	Rise     int           // successes before failed -> ok; default 1
	Fall     int           // failures before ok -> failed; default 1
	InitFail bool          // start as failed
}

// counter applies rise and fall to a sequence of results.
type counter struct {
	ok         bool
	rise, fall int
	run        int // consecutive results against the current state
}

// result records one run and reports whether the state flipped.
func (c *counter) result(success bool) bool {
	if success == c.ok {
		c.run = 0
		return false
	}
	c.run++
	need := c.fall
	if success {
		need = c.rise
	}
	if c.run < need {
		return false
	}
	c.ok, c.run = success, 0
	return true
}

// RunScript runs s every interval until ctx ends and calls report with the
// initial state and after each change. log receives Keepalived's lines.
func RunScript(ctx context.Context, s Script, report func(ok bool), log func(string)) {
	RunScriptObserved(ctx, s, report, log, nil)
}

// RunScriptObserved is RunScript calling running (when not nil) as each
// run of the script starts and ends: Keepalived's script state, "running"
// or "idle", for status endpoints.
func RunScriptObserved(ctx context.Context, s Script, report func(ok bool), log func(string), running func(bool)) {
	if running == nil {
		running = func(bool) {}
	}
	if s.Interval <= 0 {
		s.Interval = time.Second
	}
	if s.Timeout <= 0 {
		s.Timeout = s.Interval
	}
	c := counter{ok: !s.InitFail, rise: max(s.Rise, 1), fall: max(s.Fall, 1)}
	report(c.ok)
	tick := time.NewTicker(s.Interval)
	defer tick.Stop()
	for {
		running(true)
		success, why := runOnce(ctx, s)
		running(false)
		if ctx.Err() != nil {
			return
		}
		if c.result(success) {
			if success {
				log(fmt.Sprintf("VRRP_Script(%s) succeeded", s.Name))
			} else {
				log(fmt.Sprintf("VRRP_Script(%s) %s", s.Name, why))
			}
			report(c.ok)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// runOnce runs the script with its timeout and says whether it succeeded,
// or how it failed in Keepalived's words.
func runOnce(ctx context.Context, s Script) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	if len(s.Cmd.Argv) == 0 {
		return false, "failed (no command)"
	}
	cmd := exec.CommandContext(ctx, s.Cmd.Argv[0], s.Cmd.Argv[1:]...)
	if s.Cmd.User != "" {
		if err := notify.Credential(cmd, s.Cmd); err != nil {
			return false, "failed (" + err.Error() + ")"
		}
	}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, ""
	case ctx.Err() != nil:
		return false, "timed out"
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return false, fmt.Sprintf("failed (killed by signal %d)", ws.Signal())
		}
		return false, fmt.Sprintf("failed (exited with status %d)", exit.ExitCode())
	}
	return false, "failed (" + err.Error() + ")"
}

// linkUp is Keepalived's idea of a usable interface: up and running.
func linkUp(flags uint32) bool {
	return flags&syscall.IFF_UP != 0 && flags&syscall.IFF_RUNNING != 0
}

// WatchLinks reports the state of each named interface at once and on each
// change, until ctx ends. Call it inside the network namespace of the
// interfaces; the subscription stays there.
func WatchLinks(ctx context.Context, names []string, report func(name string, up bool)) error {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	updates, done := make(chan netlink.LinkUpdate, 64), make(chan struct{})
	errc := make(chan error, 1)
	if err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{
		ListExisting: true,
		ErrorCallback: func(err error) {
			select {
			case errc <- err:
			default:
			}
		},
	}); err != nil {
		return err
	}
	last := map[string]bool{}
	seen := map[string]bool{}
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-errc:
				return
			case u, ok := <-updates:
				if !ok {
					return
				}
				name := u.Attrs().Name
				if !want[name] {
					continue
				}
				up := linkUp(u.IfInfomsg.Flags) && u.Header.Type != syscall.RTM_DELLINK
				if seen[name] && last[name] == up {
					continue
				}
				seen[name], last[name] = true, up
				report(name, up)
			}
		}
	}()
	// An interface missing at start is down.
	for _, n := range names {
		if _, err := net.InterfaceByName(n); err != nil {
			report(n, false)
		}
	}
	return nil
}

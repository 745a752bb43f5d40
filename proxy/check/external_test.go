package check

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExternalResults: the command's exit status becomes the check's
// status and code; a command running past inter is killed.
func TestExternalResults(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "chk.sh")
	os.WriteFile(script, []byte("#!/bin/sh\ncase \"$HAPROXY_SERVER_NAME\" in\n ok) exit 0;;\n bad) exit 7;;\n"+
		" sig) kill -9 $$;;\n slow) exec /usr/bin/sleep 5;;\nesac\n"), 0o755)
	for _, tc := range []struct {
		desc, server, command, path string
		want                        Result
		log                         string
	}{
		{desc: "exit 0", server: "ok", command: script, want: Result{Status: PROCOK}},
		{desc: "exit 7", server: "bad", command: script, want: Result{Status: PROCERR, Code: 7}},
		{desc: "killed by a signal", server: "sig", command: script, want: Result{Status: PROCERR, Code: -1}},
		{desc: "timeout", server: "slow", command: script, want: Result{Status: PROCTOUT}, log: "kill "},
		{desc: "found in path", server: "ok", command: "chk.sh", path: "/nonexistent:" + dir, want: Result{Status: PROCOK}},
		{desc: "not in path", server: "ok", command: "chk.sh", path: "/nonexistent", want: Result{Status: PROCERR, Code: 255},
			log: "Failed to exec process for external health check: No such file or directory. Aborting."},
		{desc: "missing", server: "ok", command: filepath.Join(dir, "nope"), want: Result{Status: PROCERR, Code: 255},
			log: "Failed to exec process for external health check: No such file or directory. Aborting."},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var logged []string
			spec := &Spec{Kind: ExternalCmd, External: &External{Command: tc.command, Path: tc.path, ProxyName: "be"}}
			c := New(spec, Target{Inter: 200 * time.Millisecond, External: &ExternalTarget{ServerName: tc.server,
				ServerAddr: "127.0.0.1", ServerPort: 80,
				Log: func(alert bool, msg string) { logged = append(logged, msg) }}}, nil)
			r := c.Once(context.Background())
			if r.Status != tc.want.Status || r.Code != tc.want.Code {
				t.Errorf("got %v code %d, want %v code %d", r.Status, r.Code, tc.want.Status, tc.want.Code)
			}
			if tc.log != "" && (len(logged) != 1 || !strings.HasPrefix(logged[0], tc.log)) {
				t.Errorf("logged %q, want %q", logged, tc.log)
			}
			if tc.log == "" && len(logged) > 0 {
				t.Errorf("logged %q", logged)
			}
		})
	}
}

func TestExternalReason(t *testing.T) {
	r := Result{Status: PROCERR, Code: 3, Duration: 2 * time.Millisecond}
	if got, want := r.Reason(), "reason: External check error, code: 3, check duration: 2ms"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestExternalNoFork: without insecure-fork-wanted the reference cannot
// fork unless it runs as root: a socket error, and its alert.
func TestExternalNoFork(t *testing.T) {
	saved := forkLimited
	t.Cleanup(func() { forkLimited = saved })
	for _, limited := range []bool{true, false} {
		forkLimited = func() bool { return limited }
		var logged []string
		spec := &Spec{Kind: ExternalCmd, External: &External{Command: "/bin/true", NoFork: true}}
		c := New(spec, Target{Inter: time.Second, External: &ExternalTarget{ServerName: "s",
			Log: func(alert bool, msg string) { logged = append(logged, msg) }}}, nil)
		r := c.Once(context.Background())
		switch {
		case limited && (r.Status != SOCKERR || r.Info != "Resource temporarily unavailable" || len(logged) != 1 ||
			logged[0] != "Failed to fork process for external health check (likely caused by missing 'insecure-fork-wanted'): Resource temporarily unavailable. Aborting."):
			t.Errorf("limited: %+v, logged %q", r, logged)
		case !limited && r.Status != PROCOK:
			t.Errorf("root: %+v", r)
		}
	}
}

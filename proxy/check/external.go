package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// External describes `option external-check`: the command run for each
// check and the PATH it is given (HAProxy gives none unless
// `external-check path` is set).
type External struct {
	Command string
	Path    string
	// ProxyName and ProxyID name the backend; ProxyAddr and ProxyPort
	// are its first listening address ("" for a backend: the arguments
	// then say NOT_USED).
	ProxyName            string
	ProxyID              int
	ProxyAddr, ProxyPort string
	// NoFork is a global section without `insecure-fork-wanted`: the
	// reference forbids itself to fork (RLIMIT_NPROC 0), which stops
	// every process but root's.
	NoFork bool
}

// forkLimited reports whether a zero process limit would stop this
// process from forking (only root is exempt).
var forkLimited = func() bool { return os.Geteuid() != 0 }

// ExternalTarget is what an external check tells its command about the
// proxy and the server, as arguments and environment variables.
type ExternalTarget struct {
	ServerName string
	ServerID   int
	ServerAddr string
	ServerPort int // 0 when the server has no port
	MaxConn    int
	SSL        bool
	// CurConn gives the server's current connections when the check runs.
	CurConn func() int
	// Log reports what the reference prints on its terminal: a command
	// that cannot be run (alert) and one killed at its timeout.
	Log func(alert bool, msg string)
}

// runExternal runs the command once: exit status 0 is up, any other
// status an error with that code (-1 when killed by a signal); a command
// still running after inter is killed and the check times out.
func (c *Checker) runExternal(ctx context.Context) Result {
	x, t := c.spec.External, c.target.External
	if x == nil || t == nil {
		return Result{Status: PROCERR, Code: -1}
	}
	notUsed := func(s string) string {
		if s == "" {
			return "NOT_USED"
		}
		return s
	}
	if x.NoFork && forkLimited() {
		const why = "Resource temporarily unavailable"
		c.logExternal(true, "Failed to fork process for external health check (likely caused by missing 'insecure-fork-wanted'): "+why+". Aborting.")
		return Result{Status: SOCKERR, Info: why}
	}
	args := []string{notUsed(x.ProxyAddr), notUsed(x.ProxyPort), t.ServerAddr, strconv.Itoa(t.ServerPort)}
	path, err := lookCommand(x.Command, x.Path)
	if err != nil {
		// The reference's forked child says so, then exits with 255.
		c.logExternal(true, fmt.Sprintf("Failed to exec process for external health check: %s. Aborting.", ErrnoText(err)))
		return Result{Status: PROCERR, Code: 255}
	}
	// Like the reference's forked child, the command writes where we do.
	cmd := &exec.Cmd{Path: path, Args: append([]string{x.Command}, args...), Env: externalEnv(x, t),
		Stdout: os.Stdout, Stderr: os.Stderr}
	if err := cmd.Start(); err != nil {
		c.logExternal(true, fmt.Sprintf("Failed to exec process for external health check: %s. Aborting.", ErrnoText(err)))
		return Result{Status: PROCERR, Code: 255}
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	timer := time.NewTimer(c.target.Inter)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		c.logExternal(false, fmt.Sprintf("kill %d", cmd.Process.Pid))
		cmd.Process.Signal(syscall.SIGTERM) // the process we started, by PID
		<-done
		return Result{Status: PROCTOUT}
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		return Result{Status: PROCTOUT}
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return Result{Status: PROCOK}
	case ws.Exited():
		return Result{Status: PROCERR, Code: ws.ExitStatus()}
	}
	return Result{Status: PROCERR, Code: -1}
}

func (c *Checker) logExternal(alert bool, msg string) {
	if t := c.target.External; t != nil && t.Log != nil {
		t.Log(alert, msg)
	}
}

// externalEnv is the whole environment of the command: the reference
// clears its own and sets only these.
func externalEnv(x *External, t *ExternalTarget) []string {
	curConn := 0
	if t.CurConn != nil {
		curConn = t.CurConn()
	}
	ssl := "0"
	if t.SSL {
		ssl = "1"
	}
	return []string{
		"PATH=" + x.Path,
		"HAPROXY_PROXY_NAME=" + x.ProxyName,
		"HAPROXY_PROXY_ID=" + strconv.Itoa(x.ProxyID),
		"HAPROXY_PROXY_ADDR=" + x.ProxyAddr,
		"HAPROXY_PROXY_PORT=" + x.ProxyPort,
		"HAPROXY_SERVER_NAME=" + t.ServerName,
		"HAPROXY_SERVER_ID=" + strconv.Itoa(t.ServerID),
		"HAPROXY_SERVER_ADDR=" + t.ServerAddr,
		"HAPROXY_SERVER_PORT=" + strconv.Itoa(t.ServerPort),
		"HAPROXY_SERVER_MAXCONN=" + strconv.Itoa(t.MaxConn),
		"HAPROXY_SERVER_CURCONN=" + strconv.Itoa(curConn),
		"HAPROXY_SERVER_SSL=" + ssl,
		"HAPROXY_SERVER_PROTO=tcp",
	}
}

// lookCommand finds the command as execvp does with the check's PATH:
// a name with a slash as it is, another in each PATH directory in turn
// (an empty entry is the current directory).
func lookCommand(command, path string) (string, error) {
	if strings.Contains(command, "/") {
		return command, executable(command)
	}
	err := error(syscall.ENOENT)
	for _, dir := range strings.Split(path, ":") {
		p := filepath.Join(dir, command)
		if dir == "" {
			p = command
		}
		e := executable(p)
		if e == nil {
			return p, nil
		}
		if errors.Is(e, syscall.EACCES) {
			err = e
		}
	}
	return "", err
}

// executable reports why p cannot be executed, if it cannot.
func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return syscall.EACCES
	}
	return nil
}

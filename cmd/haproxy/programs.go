package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fulcrum/haproxy"
)

// The master of master-worker mode starts the configuration's `program`
// sections before its first worker, and at each reload starts them again
// unless `no option start-on-reload` says not to. Like the reference's, a
// program is a child of the master listed by `show proc`; once a reload's
// worker is ready, every program of the previous generation becomes an
// old one and is sent SIGUSR1 with the old workers (even one that was
// not started again: the reference does so); a current program that
// exits is reported as an alert, and a failure takes everything down
// (exit-on-failure).

// envProgram marks the trampoline that becomes a program: this binary,
// started with the program's words in JSON, which execs them as the
// reference's child does with execvp, and reports a failure to do so
// under its own PID before exiting 1.
const envProgram = "FULCRUM_HAPROXY_PROGRAM"

// execProgram is the trampoline (see envProgram); it returns only on
// failure, with the exit status.
func execProgram(spec string, f flags) int {
	var argv []string
	if err := json.Unmarshal([]byte(spec), &argv); err != nil || len(argv) == 0 {
		return 1
	}
	os.Unsetenv(envProgram)
	path, err := exec.LookPath(argv[0])
	if err == nil {
		err = syscall.Exec(path, argv, os.Environ())
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = syscall.ENOENT // not found in PATH
	}
	msg := errno.Error()
	newReporter(f).startupLine("ALERT", fmt.Sprintf("Cannot execute %s: %s", argv[0], strings.ToUpper(msg[:1])+msg[1:]))
	return 1
}

// startPrograms starts the programs of cfg; at a reload, only those
// without `no option start-on-reload`.
func (m *master) startPrograms(cfg *haproxy.Config, reload bool) {
	m.maxReloads = -1
	if v := cfg.Global.Arg("mworker-max-reloads"); v != "" {
		m.maxReloads, _ = strconv.Atoi(v)
	}
	for _, p := range cfg.Programs {
		if reload && !p.StartOnReload {
			continue
		}
		if len(p.Command) == 0 {
			continue // the reference starts nothing without a command
		}
		if err := m.startProgram(p); err != nil {
			m.r.line("ALERT", fmt.Sprintf("Cannot fork program '%s': %v", p.Name, err))
		}
	}
}

// startProgram forks one program, as a child of the master.
func (m *master) startProgram(p *haproxy.Program) error {
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	words, _ := json.Marshal(p.Command)
	env := []string{envProgram + "=" + string(words)}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, envWorker+"=") && !strings.HasPrefix(e, envDaemonized+"=") && !strings.HasPrefix(e, envProgram+"=") {
			env = append(env, e)
		}
	}
	attr := &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{}}
	if p.User != "" || p.Group != "" {
		cred, err := programCredential(p)
		if err != nil {
			return err
		}
		attr.Sys.Credential = cred
	}
	pid, err := syscall.ForkExec(exe, os.Args, attr)
	if err != nil {
		return err
	}
	m.mu.Lock()
	w := &worker{pid: pid, started: time.Now(), gen: m.reloads, program: p.Name}
	m.workers = append([]*worker{w}, m.workers...)
	m.mu.Unlock()
	m.r.line("NOTICE", fmt.Sprintf("New program '%s' (%d) forked", p.Name, pid))
	go m.await(w)
	return nil
}

// programCredential is the user and group a program runs as (the
// model has checked that they exist).
func programCredential(p *haproxy.Program) (*syscall.Credential, error) {
	cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), NoSetGroups: true}
	if p.User != "" {
		u, err := user.Lookup(p.User)
		if err != nil {
			return nil, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		cred.Uid = uint32(uid)
	}
	if p.Group != "" {
		g, err := user.LookupGroup(p.Group)
		if err != nil {
			return nil, err
		}
		gid, _ := strconv.Atoi(g.Gid)
		cred.Gid = uint32(gid)
	}
	return cred, nil
}

// killOverReloaded ends, with SIGTERM, the old workers that have lived
// through more reloads than mworker-max-reloads allows.
func (m *master) killOverReloaded() {
	if m.maxReloads < 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.workers {
		if w.program == "" && w.reloads > m.maxReloads {
			w.leaving = true // an old one, whether or not its successor was ready
			_ = syscall.Kill(w.pid, syscall.SIGTERM)
		}
	}
}

// Package notify runs Keepalived's notification scripts (notify_master,
// notify_backup, notify_fault, notify_stop and the generic notify) and
// writes notify_fifo lines.
package notify

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync"
	"syscall"
)

// Script is one configured command: its words as the configuration parser
// split them, and the user and group to run it as ("" for ours).
type Script struct {
	Argv  []string
	User  string
	Group string
}

// Set reports whether a command is configured.
func (s Script) Set() bool { return len(s.Argv) > 0 }

// Scripts are the notifications of one instance or sync group.
type Scripts struct {
	Master, Backup, Fault, Stop Script
	// Any is `notify`: called after the state's own script with four more
	// arguments: INSTANCE|GROUP, name, state, priority.
	Any Script
}

// Runner starts scripts without waiting for them, as Keepalived does, and
// logs those that cannot start or fail.
type Runner struct {
	Log func(line string)
	wg  sync.WaitGroup
}

// Notify runs the scripts for a transition of the instance (kind
// "INSTANCE") or group ("GROUP") name to state (MASTER, BACKUP, FAULT,
// STOP) at priority.
func (r *Runner) Notify(s Scripts, kind, name, state string, priority int) {
	own := map[string]Script{"MASTER": s.Master, "BACKUP": s.Backup, "FAULT": s.Fault, "STOP": s.Stop}[state]
	if own.Set() {
		r.Start(own)
	}
	if s.Any.Set() {
		r.Start(s.Any, kind, name, state, strconv.Itoa(priority))
	}
}

// Start runs s with extra arguments appended.
func (r *Runner) Start(s Script, extra ...string) {
	argv := append(append([]string(nil), s.Argv...), extra...)
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := Credential(cmd, s); err != nil {
		r.log(fmt.Sprintf("Failed to run script %s: %v", argv[0], err))
		return
	}
	if err := cmd.Start(); err != nil {
		r.log(fmt.Sprintf("Failed to exec script %s: %v", argv[0], err))
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := cmd.Wait(); err != nil {
			r.log(fmt.Sprintf("Script %s exited with %v", argv[0], err))
		}
	}()
}

// Wait waits for every started script to end.
func (r *Runner) Wait() { r.wg.Wait() }

func (r *Runner) log(line string) {
	if r.Log != nil {
		r.Log(line)
	}
}

// Credential makes cmd run as s.User and s.Group (when set).
func Credential(cmd *exec.Cmd, s Script) error {
	if s.User == "" {
		return nil
	}
	u, err := user.Lookup(s.User)
	if err != nil {
		return err
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if s.Group != "" {
		g, err := user.LookupGroup(s.Group)
		if err != nil {
			return err
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return nil
}

// Line is a notify_fifo line: `INSTANCE "VI_1" MASTER 150`.
func Line(kind, name, state string, priority int) string {
	return fmt.Sprintf("%s %q %s %d\n", kind, name, state, priority)
}

// FIFO is an open notify_fifo.
type FIFO struct {
	mu sync.Mutex
	f  *os.File
}

// OpenFIFO opens (creating when missing) the FIFO at path. It opens it
// read-write so that writing never blocks or fails for want of a reader.
func OpenFIFO(path string) (*FIFO, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			return nil, fmt.Errorf("notify_fifo %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("notify_fifo %s: %w", path, err)
	}
	return &FIFO{f: f}, nil
}

// Write writes one line.
func (f *FIFO) Write(kind, name, state string, priority int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.f.WriteString(Line(kind, name, state, priority))
	return err
}

// Close closes the FIFO.
func (f *FIFO) Close() error { return f.f.Close() }

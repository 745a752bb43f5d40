package fdlimit

import (
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Process is the running process's RLIMIT_NOFILE.
type Process struct{}

// Get reads the limit.
func (Process) Get() (Rlimit, error) {
	var r syscall.Rlimit
	err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r)
	return Rlimit{Cur: r.Cur, Max: r.Max}, err
}

// Set sets it (programs this process starts inherit it).
func (Process) Set(r Rlimit) error {
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: r.Cur, Max: r.Max})
}

var restoreOnce sync.Once

// RestoreBoot puts back the soft limit the process was started with. Go
// raises it to the hard limit minus one before main runs, which the
// reference does not do: its maxconn, its messages and the limit it ends
// with derive from the limit it was given. Go gives the original back to
// the programs it starts, so a shell started here tells what it was. It
// acts once per process; later calls do nothing.
func RestoreBoot() {
	restoreOnce.Do(func() {
		var p Process
		cur, err := p.Get()
		if err != nil || cur.Max == Infinity || cur.Cur != cur.Max-1 {
			return // Go left it alone
		}
		out, err := exec.Command("/bin/sh", "-c", "ulimit -Sn").Output()
		if err != nil {
			return
		}
		word := strings.TrimSpace(string(out))
		boot := uint64(Infinity)
		if word != "unlimited" {
			if boot, err = strconv.ParseUint(word, 10, 64); err != nil {
				return
			}
		}
		if boot < cur.Cur {
			p.Set(Rlimit{Cur: boot, Max: cur.Max})
		}
	})
}

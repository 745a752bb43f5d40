package reftest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Catches reports whether process pid has a handler installed for sig
// and does not block it, from /proc/PID/status (SigCgt and SigBlk are
// hex masks, bit sig-1 for signal sig). HAProxy's master announces
// "Loading success" (and READY=1) while its freshly executed image still
// blocks its signals without handlers, and a signal sent then may be
// lost or, before the handlers exist, act by default: a test sends a
// control signal once this holds.
func Catches(pid int, sig syscall.Signal) (bool, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false, err
	}
	mask := func(name string) (uint64, error) {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, name+":"); ok {
				return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			}
		}
		return 0, fmt.Errorf("no %s in /proc/%d/status", name, pid)
	}
	cgt, err := mask("SigCgt")
	if err != nil {
		return false, err
	}
	blk, err := mask("SigBlk")
	if err != nil {
		return false, err
	}
	bit := uint64(1) << (sig - 1)
	return cgt&bit != 0 && blk&bit == 0, nil
}

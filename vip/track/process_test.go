package track

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestWatchProcess(t *testing.T) {
	var mu sync.Mutex
	var got []bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A name no other process on the machine has.
	const name = "fct-track-proc"
	go WatchProcess(ctx, Process{Name: name, Quorum: 2}, 10*time.Millisecond,
		func(ok bool) { mu.Lock(); got = append(got, ok); mu.Unlock() })
	seen := func(want ...bool) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return slices.Equal(got, want) }
	}
	waitFor(t, "not running", seen(false))
	var cmds []*exec.Cmd
	for range 2 {
		// comm is the executable's file name: run a copy of sleep.
		cmd := exec.Command(sleepAs(t, name), "30")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	defer func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}()
	waitFor(t, "quorum of two reached", seen(false, true))
	cmds[0].Process.Kill()
	cmds[0].Wait()
	waitFor(t, "quorum lost", seen(false, true, false))
}

// sleepAs copies /bin/sleep to a file called name and returns its path.
func sleepAs(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

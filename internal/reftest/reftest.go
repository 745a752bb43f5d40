// Package reftest runs the reference HAProxy and Keepalived binaries and
// ours side by side for differential tests, and normalises the parts of
// their output that differ by nature (PIDs, paths, version lines).
package reftest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reference binaries as Debian installs them; FULCRUM_REF_HAPROXY and
// FULCRUM_REF_KEEPALIVED override.
const (
	defaultHAProxy    = "/usr/sbin/haproxy"
	defaultKeepalived = "/usr/sbin/keepalived"
)

// InCI reports whether we run under CI, where nothing may be skipped for a
// missing reference.
func InCI() bool { return os.Getenv("CI") == "true" }

// HAProxy returns the path of the reference haproxy, failing the test under
// CI and skipping it loudly elsewhere when it is not installed.
func HAProxy(t testing.TB) string {
	t.Helper()
	return reference(t, "FULCRUM_REF_HAPROXY", defaultHAProxy, "haproxy")
}

// Keepalived returns the path of the reference keepalived, like HAProxy.
func Keepalived(t testing.TB) string {
	t.Helper()
	return reference(t, "FULCRUM_REF_KEEPALIVED", defaultKeepalived, "keepalived")
}

// IsReference reports whether bin is one of the reference binaries (as
// HAProxy and Keepalived resolve them), for tests that run both and must
// tell a reference bug from ours.
func IsReference(bin string) bool {
	for env, def := range map[string]string{"FULCRUM_REF_HAPROXY": defaultHAProxy, "FULCRUM_REF_KEEPALIVED": defaultKeepalived} {
		if path := os.Getenv(env); bin == path || path == "" && bin == def {
			return true
		}
	}
	return false
}

func reference(t testing.TB, env, def, pkg string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = def
	}
	if st, err := os.Stat(path); err == nil && st.Mode()&0o111 != 0 {
		return path
	}
	msg := "reference " + pkg + " not found at " + path + " (run `make deps`, or set " + env + ")"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED (differential): " + msg)
	return ""
}

// Root is the repository's top directory (the one holding go.mod).
func Root() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Corpus returns ../shared/corpus beside the repository, or skips the test
// loudly where it is absent (a user's own clone).
func Corpus(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(), "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		if InCI() {
			t.Fatalf("corpus not found at %s", dir)
		}
		t.Skipf("SKIPPED (corpus): %s not found; the corpus lives beside the project", dir)
	}
	return dir
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{}
)

// Ours builds fulcrum/cmd/<name> once per test process and returns the
// binary's path, so tests never depend on a stale bin/.
func Ours(t testing.TB, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := buildCache[name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "fulcrum-bin-")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, "fulcrum/cmd/"+name)
	cmd.Dir = Root()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	buildCache[name] = out
	return out
}

// Options shape one run.
type Options struct {
	Dir     string        // working directory; "" for the current one
	Env     []string      // extra KEY=VALUE entries
	Isolate bool          // run under `unshare -n`: no network, no name lookups leave
	Timeout time.Duration // default 30s
}

// Result is what one run produced.
type Result struct {
	Exit   int // -1 when killed by the timeout
	Stdout string
	Stderr string
}

// Run executes bin with args and captures its exit code and output.
func Run(t testing.TB, bin string, opt Options, args ...string) Result {
	t.Helper()
	if opt.Timeout == 0 {
		opt.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), opt.Timeout)
	defer cancel()
	name, argv := bin, args
	if opt.Isolate {
		name, argv = "unshare", append([]string{"-n", bin}, args...)
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Dir = opt.Dir
	cmd.Env = append(os.Environ(), opt.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		res.Exit = -1
	case errors.As(err, &exitErr):
		res.Exit = exitErr.ExitCode()
	default:
		t.Fatalf("running %s: %v", bin, err)
	}
	return res
}

var (
	pidField     = regexp.MustCompile(`^(\[[A-Z]+\]\s+)\(\d+\)`)
	versionLines = regexp.MustCompile(`(?m)^.*(haproxy version is|path to executable is) .*\n`)
)

// Normalize removes what differs between two runs by nature: PIDs in
// HAProxy's `[LEVEL] (PID)` prefix and the version and executable-path
// notice lines.
func Normalize(s string) string {
	s = versionLines.ReplaceAllString(s, "")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pidField.ReplaceAllString(l, "${1}(PID)")
	}
	return strings.Join(lines, "\n")
}

package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/internal/difftest"
)

// externalScript is an external check command: it records its arguments
// and environment once per server, then answers by the server's name.
const externalScript = `#!/bin/sh
f=DIR/$HAPROXY_PROXY_NAME-$HAPROXY_SERVER_NAME
if [ ! -e "$f" ]; then
  { for a in "$0" "$@"; do echo "arg=$a"; done; /usr/bin/env | /usr/bin/sort; } > "$f.tmp"
  /bin/mv "$f.tmp" "$f"
fi
case "$HAPROXY_SERVER_NAME" in
  bad) exit 3;;
  slow) exec /usr/bin/sleep 2;;
  sig) kill -9 $$;;
esac
exit 0
`

// externalConfig is the scenario: a listen section (the command found
// through 'external-check path'), a backend (no address: NOT_USED, no
// PATH) and a command that does not exist.
func externalConfig(dir string, port int) string {
	return fmt.Sprintf(`global
  external-check
  insecure-fork-wanted
defaults
  mode tcp
  log stdout format raw local0
  timeout connect 1s
  timeout client 5s
  timeout server 5s
listen l
  bind 127.0.0.1:%[2]d
  option external-check
  external-check command check.sh
  external-check path "%[1]s:/usr/bin:/bin"
  server ok 127.0.0.1:1111 check inter 300ms rise 1 fall 1 maxconn 7
  server bad [::1]:2222 check inter 300ms rise 1 fall 1
  server slow 127.0.0.1:6666 check inter 300ms rise 1 fall 1 id 9
  server sig 127.0.0.1:3333 check inter 300ms rise 1 fall 1
backend be2
  option external-check
  external-check command %[1]s/check.sh
  server ok 127.0.0.1:4444 check inter 300ms rise 1 fall 1
  server cp 127.0.0.1:4445 check inter 300ms rise 1 fall 1 port 7777
backend nocmd
  option external-check
  external-check command %[1]s/missing.sh
  server m 127.0.0.1:5555 check inter 300ms rise 1 fall 1
`, dir, port)
}

// externalRun is what one program did with the scenario.
type externalRun struct {
	dumps map[string]string // per proxy-server: argv and environment
	stat  map[string]string // per proxy/server: status and check columns
	out   string
}

func runExternal(t *testing.T, bin string) externalRun {
	t.Helper()
	dir, err := os.MkdirTemp("", "fulcrum-extchk-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	script := strings.ReplaceAll(externalScript, "DIR", dir)
	if err := os.WriteFile(filepath.Join(dir, "check.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	port := difftest.FreePort(t)
	p := difftest.StartReferenceConfig(t, bin, externalConfig(dir, port))
	p.WaitLog("Server l/slow is DOWN")
	p.WaitLog("Server nocmd/m is DOWN")
	run := externalRun{dumps: map[string]string{}, stat: map[string]string{}}
	for _, name := range []string{"l-ok", "l-bad", "l-slow", "l-sig", "be2-ok", "be2-cp"} {
		var b []byte
		for range 200 {
			if b, err = os.ReadFile(filepath.Join(dir, name)); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		run.dumps[name] = strings.NewReplacer(dir, "DIR", fmt.Sprint(port), "PORT").Replace(string(b))
	}
	stat, err := p.Command("show stat")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(stat, "\n") {
		f := strings.Split(line, ",")
		if len(f) < 66 || strings.HasPrefix(line, "#") || f[1] == "FRONTEND" || f[1] == "BACKEND" {
			continue
		}
		// "* " marks a check running at this moment: timing, not state.
		run.stat[f[0]+"/"+f[1]] = strings.Join([]string{f[17], strings.TrimPrefix(f[36], "* "), f[37], f[65]}, ",")
	}
	run.out = p.Output()
	return run
}

// TestExternalCheckDifferential: option external-check runs the command
// with the reference's arguments and environment, reads its exit status
// (0 up, other codes, a signal, a timeout at inter, a missing command)
// and reports it in the statistics and logs as the reference does.
func TestExternalCheckDifferential(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	want, got := runExternal(t, ref), runExternal(t, ours)
	for name, w := range want.dumps {
		if w == "" {
			t.Errorf("%s: the reference's command left no dump", name)
		}
		if got.dumps[name] != w {
			t.Errorf("%s: arguments and environment differ\nours:\n%s\nreference:\n%s", name, got.dumps[name], w)
		}
	}
	for name, w := range want.stat {
		if got.stat[name] != w {
			t.Errorf("%s: show stat (status,check_status,check_code,check_desc) ours %q, reference %q", name, got.stat[name], w)
		}
	}
	for _, line := range []string{
		"Server l/bad is DOWN, reason: External check error, code: 3, ",
		"Server l/sig is DOWN, reason: External check error, code: -1, ",
		"Server l/slow is DOWN, reason: External check timeout, code: 0, ",
		"Server nocmd/m is DOWN, reason: External check error, code: 255, ",
		"Failed to exec process for external health check: No such file or directory. Aborting.",
		"kill ",
	} {
		if strings.Contains(want.out, line) != strings.Contains(got.out, line) {
			t.Errorf("%q: in the reference's output %v, in ours %v", line, strings.Contains(want.out, line), strings.Contains(got.out, line))
		}
	}
}

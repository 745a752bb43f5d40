package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

// stateConfig loads the global state file GLOBAL in backend be and the
// local file LOCAL in backend loc.
const stateConfig = `global
    stats socket "${DIR}/admin.sock" mode 600 level admin
    server-state-file GLOBAL
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    load-server-state-from-file global
frontend fe
    bind "127.0.0.1:${FE_PORT}"
    maxconn 1000
    default_backend be
backend be
    server s1 "${S1}" check inter 200ms weight 10
    server s2 "${S2}" weight 20
    server s3 "${S3}" check inter 200ms
    server s4 "${S4}" disabled
    server s5 "${S1}"
    server s6 "${S2}" weight 0
    server s7 localhost:1
    server s8 localhost:2 init-addr libc,last
backend loc
    load-server-state-from-file local
    server-state-file-name LOCAL
    server x "${S2}" weight 3
backend off
    load-server-state-from-file none
    server y "${S3}"
`

// stateAge is the age field of a `show servers state` line (-1 when the
// saved change lies a moment in the future).
var stateAge = regexp.MustCompile(`(?m)^(\d+ \S+ \d+ \S+ \S+ \d+ \d+ \d+ \d+ )-?\d+ `)

// startupNotes are a run's "config : " warnings, without the process id.
var startupPID = regexp.MustCompile(`\(\d+\) : `)

func startupNotes(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " : config : ") && !strings.Contains(l, "NOTICE") {
			b.WriteString(startupPID.ReplaceAllString(l, "(PID) : ") + "\n")
		}
	}
	return b.String()
}

// editState changes one field of a server's line of a saved state.
func editState(state, server string, field int, value string) string {
	lines := strings.Split(state, "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) > field && f[3] == server && !strings.HasPrefix(l, "#") {
			f[field] = value
			lines[i] = strings.Join(f, " ")
		}
	}
	return strings.Join(lines, "\n")
}

// lineOf is the saved line of a server of backend be, with its newline.
func lineOf(state, server string) string {
	for _, l := range strings.Split(state, "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[1] == "be" && f[3] == server {
			return l + "\n"
		}
	}
	return ""
}

// TestServerStateFileMatchesReference: states changed through the
// reference's Runtime API are saved with its `show servers state`, then
// loaded at start (load-server-state-from-file global, local and none)
// by ours and by the reference, as saved and with the mismatches and
// damage real files have: both report the same states and the same
// warnings.
func TestServerStateFileMatchesReference(t *testing.T) {
	ref := reftest.HAProxy(t)
	ours := reftest.Ours(t, "haproxy")
	servers := apiServers(t)
	dir := t.TempDir()
	global, local := filepath.Join(dir, "global.state"), filepath.Join(dir, "loc.state")
	config := strings.NewReplacer("GLOBAL", global, "LOCAL", local).Replace(stateConfig)

	// Save: change states on the reference, dump them.
	saver := startAPIConfig(t, ref, config, servers)
	for _, c := range []string{"set server be/s1 weight 5", "set server be/s2 state maint", "set server be/s3 state drain",
		"set server be/s5 addr 127.0.0.1 port 1", "set server be/s4 state ready", "disable health be/s1",
		"set server loc/x weight 2", "set server be/s6 state drain",
		"set server be/s7 addr 127.0.0.7", "set server be/s8 addr 127.0.0.8"} {
		if out := saver.cmd(t, "admin", c); strings.Contains(out, "No such") || strings.Contains(out, "Require") {
			t.Fatalf("%s: %s", c, out)
		}
	}
	saved := saver.cmd(t, "admin", "show servers state")
	savedLocal := saver.cmd(t, "admin", "show servers state loc")
	if !strings.HasPrefix(saved, "1\n# be_id") || !strings.Contains(saved, " s2 ") {
		t.Fatalf("unexpected saved state:\n%s", saved)
	}
	saver.p.cmd.Process.Kill()

	for _, tc := range []struct {
		desc, global, local string
	}{
		{"as saved", saved, savedLocal},
		{"config changed since", editState(editState(saved, "s1", 8, "11"), "s6", 8, "4") +
			strings.Replace(lineOf(saved, "s1"), " s1 ", " nosuch ", 1) +
			"9 gone 1 s1 127.0.0.1 0 0 1 1 0 1 0 4 0 0 0 0 - 1 - 0 0 - - 0\n", savedLocal},
		{"invalid fields", editState(editState(saved, "s2", 5, "x"), "s3", 6, "9"), editState(savedLocal, "x", 18, "99999")},
		{"duplicate line", saved + editState(lineOf(saved, "s1"), "s1", 5, "0"), savedLocal},
		{"corrupted", saved + "2 be 1 s1 127.0.0.1 0\n", "1\n"},
		{"corrupted local file", saved, savedLocal + "2 loc 1 x\n"},
		{"no version", strings.TrimPrefix(saved, "1\n"), "2\n" + savedLocal},
		{"missing local file", saved, ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			os.WriteFile(global, []byte(tc.global), 0o644)
			os.Remove(local)
			if tc.local != "" {
				os.WriteFile(local, []byte(tc.local), 0o644)
			}
			results := map[string][3]string{}
			for _, bin := range []struct{ name, path string }{{"reference", ref}, {"ours", ours}} {
				r := startAPIConfig(t, bin.path, config, servers)
				// Until the first check of s3 ran, its status is the saved one.
				waitFor(t, "a check of be/s3", func() bool {
					return regexp.MustCompile(`(?m)^be,s3,.*,L4OK,`).MatchString(r.cmd(t, "admin", "show stat"))
				})
				results[bin.name] = [3]string{stateAge.ReplaceAllString(r.cmd(t, "admin", "show servers state"), "${1}AGE "),
					// check_duration: how long a connect took.
					maskCSVField(maskAPI(r.cmd(t, "admin", "show stat")), 38), startupNotes(r.p.out.String())}
				r.p.cmd.Process.Kill()
			}
			for i, what := range []string{"show servers state", "show stat", "startup warnings"} {
				if d := lineDiff(results["ours"][i], results["reference"][i]); d != "" {
					t.Errorf("%s differs:\n%s", what, d)
				}
			}
		})
	}
}

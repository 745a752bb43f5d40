package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		desc string
		args []string
		want options
		err  string
	}{
		{"short with separate value", []string{"-t", "-f", "a.conf"}, options{configTest: true, configFile: "a.conf"}, ""},
		{"short with attached value", []string{"-fa.conf", "-lD"}, options{configFile: "a.conf", logConsole: true, logDetail: true}, ""},
		{"long forms", []string{"--use-file=a.conf", "--config-id", "n1", "--log-console"}, options{configFile: "a.conf", configID: "n1", logConsole: true}, ""},
		{"config test with log file", []string{"--config-test=/tmp/x.log"}, options{configTest: true, testLogFile: "/tmp/x.log"}, ""},
		{"short config test with file", []string{"-t/tmp/x.log"}, options{configTest: true, testLogFile: "/tmp/x.log"}, ""},
		{"long prefix", []string{"--config-t=/tmp/x"}, options{configTest: true, testLogFile: "/tmp/x"}, ""},
		{"process options", []string{"-n", "-P", "-C", "-p", "/run/k.pid", "-r", "/run/v.pid", "-c", "/run/c.pid", "-S", "7"},
			options{dontFork: true, vrrpOnly: true, checkOnly: true, pidFile: "/run/k.pid", vrrpPidFile: "/run/v.pid", checkPidFile: "/run/c.pid", logFacility: "7"}, ""},
		{"version and help", []string{"-v", "--help"}, options{version: true, help: true}, ""},
		{"unknown short", []string{"-Z"}, options{}, "Unknown option -Z"},
		{"unknown long", []string{"--bogus"}, options{}, "Unknown option --bogus"},
		{"missing value", []string{"-f"}, options{}, "Missing parameter for option -f"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			got, err := parseArgs(c.args)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("parseArgs(%q) = %+v, want %+v", c.args, *got, c.want)
			}
		})
	}
}

// TestCommandLineMatchesReference compares exit codes and the first line
// of stderr for command lines that need no configuration.
func TestCommandLineMatchesReference(t *testing.T) {
	ref := reftest.Keepalived(t)
	ours := reftest.Ours(t, "keepalived")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok.conf"), []byte("global_defs {\n}\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "adir"), 0o755)
	os.WriteFile(filepath.Join(dir, "cond.conf"), []byte("@node1 bogus_a\n@^node1 bogus_b\n"), 0o644)
	cases := []struct {
		desc string
		args []string
	}{
		{"missing file exits 0", []string{"-t", "-l", "-f", "/nonexistent/keepalived.conf"}},
		{"directory", []string{"-t", "-l", "-f", "adir"}},
		{"clean file", []string{"-t", "-l", "-f", "ok.conf"}},
		{"config id option", []string{"-t", "-i", "node1", "-f", "ok.conf"}},
		{"config id selects @ lines", []string{"-t", "-l", "-i", "node1", "-f", "cond.conf"}},
		{"config id rejects @ lines", []string{"-t", "-l", "--config-id=node2", "-f", "cond.conf"}},
		{"unknown option", []string{"-Z"}},
		{"missing parameter", []string{"-t", "-f"}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			r := reftest.Run(t, ref, reftest.Options{Dir: dir, Isolate: true}, c.args...)
			o := reftest.Run(t, ours, reftest.Options{Dir: dir, Isolate: true}, c.args...)
			rf, _, _ := strings.Cut(r.Stderr, "\n")
			of, _, _ := strings.Cut(o.Stderr, "\n")
			if r.Exit != o.Exit || rf != of {
				t.Errorf("reference exit %d %q, ours exit %d %q", r.Exit, rf, o.Exit, of)
			}
		})
	}
}

// TestConfigTestLogFile checks --config-test=FILE writes the messages to
// FILE.
func TestConfigTestLogFile(t *testing.T) {
	ours := reftest.Ours(t, "keepalived")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.conf"), []byte("bogus_keyword\n"), 0o644)
	r := reftest.Run(t, ours, reftest.Options{Dir: dir, Isolate: true}, "--config-test=out.log", "-f", "bad.conf")
	b, _ := os.ReadFile(filepath.Join(dir, "out.log"))
	if r.Exit != 5 || !strings.Contains(string(b), "(Line 1) Unknown keyword 'bogus_keyword'") {
		t.Errorf("exit %d, log %q", r.Exit, b)
	}
}

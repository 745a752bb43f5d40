package main

import (
	"reflect"
	"testing"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		desc string
		args []string
		ok   bool
		want flags
	}{
		{"check", []string{"-c", "-f", "a.cfg"}, true, flags{files: []string{"a.cfg"}, check: true}},
		{"several files", []string{"-f", "a", "-f", "b", "-c", "-q"}, true, flags{files: []string{"a", "b"}, check: true, quiet: true}},
		{"double dash", []string{"-c", "--", "a", "-b"}, true, flags{files: []string{"a", "-b"}, check: true}},
		{"debug flags", []string{"-c", "-dW", "-dD", "-dr", "-f", "a"}, true, flags{files: []string{"a"}, check: true, zeroWarn: true, diagMode: true, noResolve: true}},
		{"condition", []string{"-cc", "1"}, true, flags{condition: "1", hasCond: true}},
		{"version", []string{"-vv"}, true, flags{version: 2}},
		{"daemon flags kept", []string{"-Ws", "-f", "a", "-p", "/run/x.pid", "-sf", "12", "34"}, true,
			flags{files: []string{"a"}, daemonArgs: []string{"-Ws", "-p", "/run/x.pid", "-sf", "12", "34"}}},
		{"unknown flag", []string{"-Z"}, false, flags{}},
		{"missing value", []string{"-f"}, false, flags{}},
		{"bare word", []string{"a.cfg"}, false, flags{}},
	} {
		got, ok := parseFlags(tc.args)
		if ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.desc, ok, tc.ok)
			continue
		}
		if ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.desc, got, tc.want)
		}
	}
}

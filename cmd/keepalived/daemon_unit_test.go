package main

import (
	"log/syslog"
	"testing"

	"fulcrum/confparse"
)

func TestFacility(t *testing.T) {
	for _, tc := range []struct {
		desc, in string
		want     syslog.Priority
		bad      bool
	}{
		{desc: "default daemon", in: "", want: syslog.LOG_DAEMON},
		{desc: "digit is local N", in: "3", want: syslog.LOG_LOCAL3},
		{desc: "name", in: "local7", want: syslog.LOG_LOCAL7},
		{desc: "user", in: "user", want: syslog.LOG_USER},
		{desc: "out of range", in: "8", bad: true},
		{desc: "unknown name", in: "kern", bad: true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := facility(tc.in)
			if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
				t.Errorf("facility(%q) = %v, %v", tc.in, got, err)
			}
		})
	}
}

func TestDiagLine(t *testing.T) {
	for _, tc := range []struct {
		desc string
		pos  confparse.Pos
		want string
	}{
		{desc: "file and line", pos: confparse.Pos{File: "k.conf", Line: 3}, want: "k.conf:3: WARNING: x"},
		{desc: "file only", pos: confparse.Pos{File: "k.conf"}, want: "k.conf: WARNING: x"},
		{desc: "nowhere", want: "WARNING: x"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := diagLine(confparse.Diagnostic{Pos: tc.pos, Message: "WARNING: x"}); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

package main

import (
	"os"

	"fulcrum/haproxy"
)

// logHostname is the host name the global log-send-hostname puts in the
// syslog headers: its argument, else the system's host name; "" without
// the keyword.
func logHostname(cfg *haproxy.Config) string {
	host := ""
	if cfg.Global.Section == nil {
		return ""
	}
	for _, d := range cfg.Global.Section.Lines {
		if d.Keyword != "log-send-hostname" {
			continue
		}
		if len(d.Args) > 0 {
			host = d.Args[0]
		} else if name, err := os.Hostname(); err == nil {
			host = name
		}
	}
	return host
}

// hostField is the HOSTNAME of a line's RFC 3164 or RFC 5424 header, ""
// for none: the log-send-hostname name; without it the RFC 5424 nil
// value, and for a target that names format rfc3164 "localhost" (one left
// at the default format has no host field, as in the reference).
func (t *logTarget) hostField() string {
	switch {
	case t.host != "":
		return t.host
	case t.format == "rfc5424":
		return "-"
	case t.formatNamed:
		return "localhost"
	}
	return ""
}

func init() { globalActedOn["log-send-hostname"] = true }

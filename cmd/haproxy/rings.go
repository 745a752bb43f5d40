package main

import (
	"strconv"
	"strings"
	"time"

	"fulcrum/haproxy"
	"fulcrum/proxy/ring"
)

// buildRings makes the rings of cfg's `ring` sections. A ring named like
// an earlier one is the earlier one (the reference keeps the first).
func buildRings(cfg *haproxy.Config) []*ring.Ring {
	var rings []*ring.Ring
	seen := map[string]bool{}
	for _, sec := range cfg.Order {
		if sec.Kind != "ring" || len(sec.Args) == 0 || seen[sec.Args[0]] {
			continue
		}
		seen[sec.Args[0]] = true
		var desc, format string
		maxLen, size := 0, 0
		var connectTimeout, serverTimeout time.Duration
		var targets []ring.Target
		for _, d := range sec.Lines {
			arg := ""
			if len(d.Args) > 0 {
				arg = d.Args[0]
			}
			switch d.Keyword {
			case "description":
				desc = arg // its first word only, as the reference
			case "format":
				format = arg
			case "maxlen":
				maxLen, _ = strconv.Atoi(arg)
			case "timeout":
				if len(d.Args) > 1 {
					v, _ := parseDuration(d.Args[1])
					switch arg {
					case "connect":
						connectTimeout = v
					case "server":
						serverTimeout = v
					}
				}
			case "server":
				if t, ok := ringTarget(d.Args); ok {
					targets = append(targets, t)
				}
			case "size":
				// A size below the default keeps the default (the
				// loader warns).
				if n, _ := strconv.Atoi(arg); n > ring.DefaultSize {
					size = n
				}
			}
		}
		r := ring.New(sec.Args[0], desc, format, maxLen, size)
		for _, t := range targets {
			t.ConnectTimeout, t.ServerTimeout = connectTimeout, serverTimeout
			r.Forward(t)
		}
		rings = append(rings, r)
	}
	return rings
}

// ringTarget reads a ring's `server NAME ADDR [log-proto P]`.
func ringTarget(args []string) (ring.Target, bool) {
	if len(args) < 2 {
		return ring.Target{}, false
	}
	t := ring.Target{Name: args[0], Addr: strings.TrimPrefix(strings.TrimPrefix(args[1], "tcp@"), "ipv4@")}
	for i := 2; i+1 < len(args); i++ {
		if args[i] == "log-proto" {
			t.OctetCount = args[i+1] == "octet-count"
		}
	}
	return t, true
}

// closeRings stops the forwarders of an older configuration's rings.
func closeRings(rings []*ring.Ring) {
	for _, r := range rings {
		r.Close()
	}
}

// attachRing points a `log ring@NAME` target at its ring, whose format
// makes the lines' headers.
func (st *logState) attachRing(t *logTarget) {
	name, ok := strings.CutPrefix(t.name, "ring@")
	if !ok {
		return
	}
	for _, r := range st.rings {
		if r.Name == name {
			t.ring, t.format, t.formatNamed = r, r.Format, true
		}
	}
}

// rings returns the current configuration's rings (`show events`).
func (l *logger) rings() []*ring.Ring { return l.state.Load().rings }

// capRingMessages bounds what a ring target stores of a message: the
// reference builds every message in a buffer as long as the largest
// `len` of the configuration's log lines (less one), then cuts it at the
// target's own len, without the one byte of LF the other targets keep.
func capRingMessages(targets map[string]*logTarget) {
	largest := 0
	for _, t := range targets {
		largest = max(largest, t.maxLen)
	}
	for _, t := range targets {
		t.msgCap = largest - 1
	}
}

package haproxy

import (
	"fmt"
	"strings"

	"fulcrum/confparse"
)

// stickStore are the data a stick table stores: plain counters, rates
// (with a period) and arrays (with a count; gpc_rate with both).
var (
	stickStorePlain = setOf("server_id", "gpt0", "gpc0", "gpc1", "conn_cnt", "conn_cur", "sess_cnt", "http_req_cnt",
		"http_err_cnt", "http_fail_cnt", "bytes_in_cnt", "bytes_out_cnt", "server_key", "server_name")
	stickStoreRate = setOf("gpc0_rate", "gpc1_rate", "conn_rate", "sess_rate", "http_req_rate", "http_err_rate",
		"http_fail_rate", "bytes_in_rate", "bytes_out_rate")
	stickStoreArray = setOf("gpt", "gpc", "gpc_rate")
	stickTypes      = setOf("ip", "ipv6", "integer", "string", "binary")
)

// stickTableArgs checks "stick-table type T [len N] size N [expire T]
// [nopurge] [peers P] [srvkey K] [store LIST]..." in the reference's order,
// stopping at the first problem as it does.
func (l *loader) stickTableArgs(d line) bool { return l.tableArgs(d, "stick-table", true) }

// stickTableAt is where a proxy declared its stick-table.
type stickTableAt struct {
	px  *Proxy
	pos confparse.Pos
}

// stickTableNameFree refuses a second stick-table named like one already
// declared (a proxy's table takes the proxy's name, so a frontend and a
// backend of the same name, or two lines in one proxy, collide). The
// reference checks this before the table's arguments.
func (l *loader) stickTableNameFree(px *Proxy, d line) bool {
	prev, dup := l.stickTables[px.Name]
	if dup {
		l.alert(d.pos, fmt.Sprintf("stick-table name '%s' conflicts with table declared in %s '%s' at %s:%d.",
			px.Name, proxyWord(prev.px), prev.px.Name, prev.pos.File, prev.pos.Line))
	}
	return !dup
}

// declareStickTable records a proxy's table once its line was read
// without error (a refused one declares nothing).
func (l *loader) declareStickTable(px *Proxy, d line) {
	if l.stickTables == nil {
		l.stickTables = map[string]stickTableAt{}
	}
	l.stickTables[px.Name] = stickTableAt{px, d.pos}
}

// tableArgs checks the words of a table definition; what names it in
// the messages, and withPeers allows `peers P` (a peers section's
// `table` line does not). ok is false after an alert.
func (l *loader) tableArgs(d line, what string, withPeers bool) (ok bool) {
	ok = true
	fail := func(format string, a ...any) {
		l.alert(d.pos, what+": "+fmt.Sprintf(format, a...))
		ok = false
	}
	hasType, hasSize := false, false
	for i := 0; i < len(d.args); i++ {
		kw := d.args[i]
		switch kw {
		case "nopurge":
			continue
		case "type", "size", "expire", "srvkey", "store":
		case "peers":
			if !withPeers {
				fail("unknown argument '%s'.", kw)
				return
			}
		default:
			fail("unknown argument '%s'.", kw)
			return
		}
		if i+1 >= len(d.args) {
			if kw == "store" {
				return
			}
			fail("missing argument after '%s'.", kw)
			return
		}
		i++
		v := d.args[i]
		switch kw {
		case "type":
			if !stickTypes[v] {
				fail("unknown type '%s'.", v)
				return
			}
			hasType = true
			if (v == "string" || v == "binary") && i+2 < len(d.args) && d.args[i+1] == "len" {
				if n := d.args[i+2]; strings.Trim(n, "0123456789") != "" {
					fail("unknown type '%s'.", n) // sic
					return
				}
				i += 2
			}
		case "size":
			if bad, good := badSizeChar(v); !good {
				fail("unexpected character '%c' in argument of 'size'.", bad)
				return
			}
			hasSize = atoi(v) > 0
		case "expire":
			if _, msg := parseTime(v); msg != "" {
				fail("unexpected character '%c' in argument of 'expire'.", badTimeChar(v))
				return
			}
			l.timerTrailer(v)
		case "store":
			if !l.stickStoreArgs(v, fail) {
				return
			}
		}
	}
	switch {
	case !hasType:
		fail("missing type.")
	case !hasSize:
		fail("missing size.")
	}
	return
}

// stickStoreArgs checks a comma-separated store list.
func (l *loader) stickStoreArgs(list string, fail func(string, ...any)) bool {
	for _, item := range splitTopLevel(list) {
		name, arg, hasArg := strings.Cut(item, "(")
		arg = strings.TrimSuffix(arg, ")")
		switch {
		case stickStorePlain[name]:
		case stickStoreRate[name]:
			if !hasArg || arg == "" {
				fail("missing argument to store option '%s'.", name)
				return false
			}
			if _, msg := parseTime(arg); msg != "" {
				fail("error when processing store option '%s'.", name)
				return false
			}
		case stickStoreArray[name]:
			if !hasArg || arg == "" || name == "gpc_rate" && !strings.Contains(arg, ",") {
				fail("missing argument to store option '%s'.", name)
				return false
			}
		default:
			fail("unknown store option '%s'.", name)
			return false
		}
	}
	return true
}

// badSizeChar finds the character the reference complains about in a
// size: digits, then an optional k/m/g suffix, nothing after.
func badSizeChar(v string) (byte, bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 && len(v) > 0 {
		return v[0], false
	}
	if i < len(v) && strings.ContainsRune("kKmMgG", rune(v[i])) {
		i++
	}
	if i < len(v) {
		return v[i], false
	}
	return 0, true
}

// timerTrailer warns about characters after a time's unit.
func (l *loader) timerTrailer(v string) {
	if msg := timerTrailer(v); msg != "" {
		l.emit(confparse.Warning, confparse.Pos{}, msg)
	}
}

// badTimeChar is the character the reference names in a bad time: the
// first non-digit, or the last one when a known unit starts there.
func badTimeChar(v string) byte {
	if v == "" {
		return 0
	}
	bad := v[0]
	for j := 0; j < len(v); j++ {
		if v[j] < '0' || v[j] > '9' {
			bad = v[j]
			if _, unit := timeUnits[v[j:]]; unit {
				bad = v[len(v)-1]
			}
			break
		}
	}
	return bad
}

// stickRuleArgs checks "stick on|match|store-request|store-response
// PATTERN [table TABLE] [if|unless CONDITION]".
func stickRuleArgs(l *loader, d line) bool {
	switch d.arg(0) {
	case "on", "match", "store-request", "store-response":
	default:
		l.alert(d.pos, "'stick' expects 'on', 'match', or 'store'.")
		return false
	}
	if len(d.args) < 2 {
		l.alert(d.pos, "'stick' expects a fetch method.")
		return false
	}
	fetch := d.args[1]
	if i := strings.IndexAny(fetch, "(,"); i >= 0 {
		fetch = fetch[:i]
	}
	if !fetchNames[fetch] {
		l.alert(d.pos, fmt.Sprintf("'stick': unknown fetch method '%s'", fetch))
		return false
	}
	for i := 2; i < len(d.args); i++ {
		switch d.args[i] {
		case "table":
			i++
		case "if", "unless":
			if missing, _ := l.condProblem(l.px, d.args[i:]); missing != "" {
				l.alert(d.pos, fmt.Sprintf("'stick': error detected while parsing sticking condition : no such ACL : '%s'.", missing))
				return false
			}
			return true
		default:
			l.alert(d.pos, fmt.Sprintf("'stick': unknown keyword '%s'.", d.args[i]))
			return false
		}
	}
	return true
}

package stats

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// promMetric is one exporter metric and the field it reads.
type promMetric struct {
	obj             byte
	name, help, typ string
	src             string
}

// PromOptions are the exporter's query parameters.
type PromOptions struct {
	// Scopes keeps these sections ('P' global, 'F' frontend, 'L'
	// listener, 'B' backend, 'S' server); nil = all.
	Scopes map[byte]bool
	// NoMaint leaves out servers in maintenance.
	NoMaint bool
}

// ErrBadScope is a `scope` parameter the exporter does not know (the
// reference answers 400).
var ErrBadScope = errors.New("invalid scope")

// ParsePromQuery reads `scope=global|frontend|listener|backend|server|*` (any
// number of them; an empty one selects nothing) and `no-maint`.
func ParsePromQuery(query string) (PromOptions, error) {
	var o PromOptions
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if k, _ = url.QueryUnescape(k); k == "no-maint" {
			o.NoMaint = true
			continue
		}
		if k != "scope" {
			continue
		}
		v, _ = url.QueryUnescape(v)
		if o.Scopes == nil {
			o.Scopes = map[byte]bool{}
		}
		switch v {
		case "*":
			for _, c := range "PFLBS" {
				o.Scopes[byte(c)] = true
			}
		case "global":
			o.Scopes['P'] = true
		case "frontend":
			o.Scopes['F'] = true
		case "listener":
			o.Scopes['L'] = true
		case "backend":
			o.Scopes['B'] = true
		case "server":
			o.Scopes['S'] = true
		case "":
		default:
			return o, ErrBadScope
		}
	}
	return o, nil
}

var (
	fieldByName = map[string]Field{}
	infoByName  = map[string]InfoField{}
	// httpOnly are the fields the exporter leaves out of tcp proxies.
	httpOnly = map[string]bool{"hrsp_1xx": true, "req_rate_max": true, "req_tot": true, "comp_in": true,
		"comp_out": true, "comp_byp": true, "comp_rsp": true, "intercepted": true, "cache_lookups": true, "cache_hits": true}
	// msFields are kept in ms and exported in seconds.
	msFields = map[string]bool{"check_duration": true, "qtime": true, "ctime": true, "rtime": true, "ttime": true,
		"qtime_max": true, "ctime_max": true, "rtime_max": true, "ttime_max": true}
	serverStates = []string{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"}
	checkStates  = []string{"HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT",
		"L7RSP", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"}
	hrspCodes = []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}
)

func init() {
	for f := Field(0); f < NumFields; f++ {
		fieldByName[fieldSpecs[f].name] = f
	}
	for f := InfoField(0); f < NumInfoFields; f++ {
		infoByName[infoSpecs[f].name] = f
	}
}

// stateOf is a server's status as one of the exporter's state labels.
func stateOf(status string) string {
	switch {
	case strings.HasPrefix(status, "MAINT"):
		return "MAINT"
	case strings.HasPrefix(status, "DRAIN"):
		return "DRAIN"
	case strings.HasPrefix(status, "NOLB"):
		return "NOLB"
	case strings.HasPrefix(status, "DOWN"):
		return "DOWN"
	}
	return "UP" // UP, UP n/m going down, no check
}

// promValue formats a value as the exporter does: NaN when empty, ms
// fields in seconds with six decimals.
func promValue(v Value, src string) string {
	if v.IsEmpty() || v.Kind == KindStr {
		return "NaN"
	}
	if msFields[src] {
		return fmt.Sprintf("%f", float64(v.Num)/1000)
	}
	return strconv.FormatInt(v.Num, 10)
}

// promLabel escapes a label value.
func promLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// WritePrometheus writes the exporter's text format (version 0.0.4): every
// metric with its HELP and TYPE lines, then its samples for each object.
func WritePrometheus(w io.Writer, snap *Snapshot, info *Info, opts PromOptions) error {
	bw := bufio.NewWriter(w)
	rows := map[byte][]*Row{}
	for i := range snap.Rows {
		r := &snap.Rows[i]
		if r.Type == Server && opts.NoMaint && r.Maint {
			continue
		}
		rows[byte(r.Type)] = append(rows[byte(r.Type)], r)
	}
	for _, m := range promMetrics {
		if opts.Scopes != nil && !opts.Scopes[m.obj] {
			continue
		}
		var lines []string
		if m.obj == 'P' {
			lines = promProcess(m, info)
		} else {
			for _, r := range rows[m.obj] {
				lines = append(lines, promRow(m, r, rows['S'])...)
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for _, l := range lines {
			bw.WriteString(l)
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

func promProcess(m promMetric, info *Info) []string {
	if m.src == "Build info" {
		return []string{fmt.Sprintf("%s{version=\"%s\"} 1", m.name, promLabel(info[InfoBuildInfo].Str))}
	}
	return []string{m.name + " " + promValue(info[infoByName[m.src]], m.src)}
}

// promRow gives the samples of metric m for one frontend, backend or
// server row; servers are all the server rows (for the aggregates).
func promRow(m promMetric, r *Row, servers []*Row) []string {
	v := &r.Values
	if httpOnly[m.src] && v[Mode].Str != "http" {
		return nil
	}
	isCheck := m.src == "check_status" || m.src == "check_code" || m.src == "check_duration"
	if r.Type == Server && isCheck && v[CheckRise].IsEmpty() {
		return nil // a server without checks
	}
	labels := `proxy="` + promLabel(r.Proxy()) + `"`
	switch r.Type {
	case Server:
		labels += `,server="` + promLabel(r.Name()) + `"`
	case Listener:
		labels += `,listener="` + promLabel(r.Name()) + `"`
	}
	sample := func(extra, val string) string {
		return m.name + "{" + labels + extra + "} " + val
	}
	bit := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	var out []string
	switch m.src {
	case "status":
		states := serverStates
		switch r.Type {
		case Listener:
			states = listenerStates
		case Frontend, Backend:
			states = []string{"DOWN", "UP"}
		}
		cur := stateOf(v[Status].Str)
		if r.Type == Listener {
			cur = v[Status].Str
		}
		if r.Type == Frontend && v[Status].Str != "STOP" {
			cur = "UP"
		}
		for _, s := range states {
			out = append(out, sample(`,state="`+s+`"`, bit(cur == s)))
		}
	case "check_status":
		for _, s := range checkStates {
			out = append(out, sample(`,state="`+s+`"`, bit(v[CheckStatus].Str == s)))
		}
	case "check_code":
		out = append(out, sample("", strconv.FormatInt(v[CheckCode].Num, 10)))
	case "hrsp_1xx":
		for i, c := range hrspCodes {
			out = append(out, sample(`,code="`+c+`"`, promValue(v[Hrsp1xx+Field(i)], "")))
		}
	case "agg_server_status", "agg_server_check_status", "agg_check_status":
		states := serverStates
		if m.src == "agg_check_status" {
			states = checkStates
		}
		counts := map[string]int{}
		for _, s := range servers {
			if s.Proxy() != r.Proxy() {
				continue
			}
			if m.src == "agg_check_status" {
				counts[s.Values[CheckStatus].Str]++
			} else {
				counts[stateOf(s.Values[Status].Str)]++
			}
		}
		for _, s := range states {
			out = append(out, sample(`,state="`+s+`"`, strconv.Itoa(counts[s])))
		}
	default:
		out = append(out, sample("", promValue(v[fieldByName[m.src]], m.src)))
	}
	return out
}

// listenerStates are the states of a listener's status metric.
var listenerStates = []string{"WAITING", "OPEN", "FULL"}

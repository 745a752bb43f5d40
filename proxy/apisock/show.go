package apisock

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

func (s *session) showBackend(_ []string, _ string) string {
	var b strings.Builder
	b.WriteString("# name\n")
	for _, name := range s.srv.engine.BackendNames() {
		b.WriteString(name + "\n")
	}
	return b.String()
}

// serversStateHeader is the 2.6 `show servers state` format: version 1.
const serversStateHeader = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"

func (s *session) showServersState(args []string, _ string) string {
	name := arg(args, 3)
	if name != "" && !s.srv.hasBackend(name) {
		return "Can't find backend.\n"
	}
	list, err := s.srv.engine.ServersState(name)
	if err != nil {
		return "Can't find backend.\n"
	}
	cfg := s.srv.config()
	ids := s.srv.engine.ProxyIDs()
	now := time.Now()
	var b strings.Builder
	b.WriteString(serversStateHeader)
	for _, st := range list {
		bkForced, srvForced := 0, 0
		if cfg.ForcedIDs[st.Backend] {
			bkForced = 1
		}
		if st.ForcedID {
			srvForced = 1
		}
		fmt.Fprintf(&b, "%d %s %d %s %s %d %d %d %d %d %d %d %d %d %d %d %d %s %d %s 0 %d %s %s %d\n",
			ids[st.Backend], st.Backend, st.ServerID, st.Name, addrOrDash(st.Addr.Addr()),
			st.OpState, st.AdminFlags, st.UWeight, st.IWeight, int64(now.Sub(st.LastChange).Seconds()),
			st.CheckStatus, st.CheckResult, st.CheckHealth, st.CheckState, st.AgentState,
			bkForced, srvForced, orDash(st.FQDN), st.Addr.Port(), orDash(st.SRVRecord), st.CheckPort, addrOrDash(st.CheckAddr), addrOrDash(st.AgentAddr), st.AgentPort)
	}
	return b.String()
}

// orDash prints an optional word as `show servers state` does.
func orDash(w string) string {
	if w == "" {
		return "-"
	}
	return w
}

// addrOrDash prints an optional address as `show servers state` does.
func addrOrDash(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}

func (s *session) showErrors(args []string, _ string) string {
	if s.level < LevelOperator {
		return permissionDenied
	}
	e := s.srv.engine
	ids := e.ProxyIDs()
	only := -1
	if px := arg(args, 2); px != "" {
		id, ok := ids[px]
		if !ok {
			id = atoi(px)
		}
		if id == 0 || (!ok && !knownID(ids, id)) {
			if px != "-1" {
				return "No such proxy.\n"
			}
			id = -1
		}
		only = id
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Total events captured on [%s] : %d\n", time.Now().Format(errorDate), e.Captures())
	if arg(args, 3) == "response" {
		// Fulcrum captures no invalid responses.
		return b.String()
	}
	for _, name := range e.FrontendNames() {
		c := e.LastRejected(name)
		if c == nil || (only >= 0 && ids[name] != only) {
			continue
		}
		host, port := c.Client, "0"
		if ap, err := netip.ParseAddrPort(c.Client); err == nil {
			host, port = ap.Addr().String(), fmt.Sprint(ap.Port())
		}
		fmt.Fprintf(&b, " \n[%s] frontend %s (#%d): invalid request\n", c.When.Format(errorDate), name, ids[name])
		fmt.Fprintf(&b, "  backend <NONE> (#-1), server <NONE> (#-1), event #%d, src %s:%s\n", c.Event, host, port)
		fmt.Fprintf(&b, "  buffer starts at 0 (including 0 out), %d free,\n", bufSize-len(c.Request))
		// The wrap point is what the reference reports for a request at
		// the start of a fresh buffer. Its HTTP/1 parser's internal
		// flags that follow in the reference are not shown.
		fmt.Fprintf(&b, "  len %d, wraps at 16336, error at position %d\n  \n", len(c.Request), c.ErrorAt)
		dumpText(&b, c.Request)
	}
	return b.String()
}

// bufSize is the reference's default tune.bufsize.
const bufSize = 16384

// errorDate is the reference's date format in `show errors`.
const errorDate = "02/Jan/2006:15:04:05.000"

func knownID(ids map[string]int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// dumpText writes data as the reference's dump_text_line: one line per
// input line, "  OFFSET  text" with \t \n \r \e \\ and \xHH escapes,
// at most 80 columns (a longer line goes on with "+" after its offset).
func dumpText(b *strings.Builder, data []byte) {
	bol := 0
	for ptr := 0; ptr < len(data); {
		mark := ' '
		if ptr != bol {
			mark = '+'
		}
		line := fmt.Sprintf("  %05d%c ", ptr, mark)
		for ptr < len(data) {
			c := data[ptr]
			var out string
			switch {
			case c >= 0x20 && c < 0x7f && c != '\\':
				out = string(c)
			case c == '\t':
				out = `\t`
			case c == '\n':
				out = `\n`
			case c == '\r':
				out = `\r`
			case c == 0x1b:
				out = `\e`
			case c == '\\':
				out = `\\`
			default:
				out = fmt.Sprintf(`\x%02X`, c)
			}
			if len(line) > 79-len(out) {
				break
			}
			line += out
			ptr++
			if c == '\n' {
				bol = ptr
				break
			}
		}
		b.WriteString(line + "\n")
	}
}

func (s *session) showSess(args []string, _ string) string {
	if s.level < LevelOperator {
		return permissionDenied
	}
	type row struct {
		id, line string
	}
	var rows []row
	now := time.Now()
	for _, ss := range s.srv.cliSessions() {
		proto, src := "unix_stream", "unix:1"
		if ss.conn.LocalAddr().Network() == "tcp" {
			proto, src = "tcpv4", ss.conn.RemoteAddr().String()
			if strings.HasPrefix(src, "[") {
				proto = "tcpv6"
			}
		}
		rows = append(rows, row{ss.id(), fmt.Sprintf("%s: proto=%s src=%s fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0 age=%s",
			ss.id(), proto, src, humanAge(now.Sub(ss.start)))})
	}
	for _, si := range s.srv.engine.Sessions() {
		proto := "tcpv4"
		if strings.HasPrefix(si.Src, "[") {
			proto = "tcpv6"
		}
		rows = append(rows, row{si.ID, fmt.Sprintf("%s: proto=%s src=%s fe=%s be=%s srv=%s ts=00 epoch=0 age=%s",
			si.ID, proto, si.Src, si.Frontend, si.Backend, si.Server, humanAge(si.Age))})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	want := arg(args, 2)
	var b strings.Builder
	for _, r := range rows {
		if want != "" && want != "all" && r.id != want {
			continue
		}
		b.WriteString(r.line + "\n")
	}
	return b.String()
}

// humanAge prints a duration as the reference's human_time: the two
// largest units among d, h, m, s.
func humanAge(d time.Duration) string {
	sec := int64(d.Seconds())
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm%ds", sec/60, sec%60)
	case sec < 86400:
		return fmt.Sprintf("%dh%dm", sec/3600, sec/60%60)
	}
	return fmt.Sprintf("%dd%dh", sec/86400, sec/3600%24)
}

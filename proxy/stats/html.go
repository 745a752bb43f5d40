package stats

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"
)

// Page holds what the HTML statistics page shows besides the rows.
type Page struct {
	URI         string // the page's own URI prefix (links)
	Version     string
	ReleaseDate string
	HideVersion bool
	// Node and Desc are shown in the title when set (show-node,
	// show-desc).
	Node, Desc  string
	ShowLegends bool // proxy tips: capabilities, mode, id
	Refresh     int  // seconds; 0 = none
	NoRefresh   bool // ;norefresh
	Up          bool // ;up
	Scope       string
	// Admin enables the per-backend forms of server actions.
	Admin bool
	// Status is the result of the last admin action (";st=" of the
	// redirect), shown above the tables.
	Status string
	// ProxyDescs are the proxies' descriptions, by name, shown beside
	// their names (as written: the reference does not escape them).
	ProxyDescs map[string]string
}

// htmlStyle gives the page the reference's look: the same colours per
// server state and the same table layout.
const htmlStyle = `body{font-family:arial,helvetica,sans-serif;font-size:12px;color:black;background:white}
th,td{font-size:10px}
h1{font-size:x-large;margin-bottom:0.5em}
h2{font-family:helvetica,arial;font-size:x-large;font-weight:bold;font-style:italic;color:#6020a0;margin:0}
h3{font-family:helvetica,arial;font-size:16px;font-weight:bold;color:#b00040;background:#e8e8d0;margin:0}
li{margin-top:0.25em;margin-right:2em}
.hr{margin-top:0.25em;border-color:black;border-bottom-style:solid}
.titre{background:#20D0D0;color:#000000;font-weight:bold;text-align:center}
.frontend,.backend{background:#e8e8d0}
.active_down,.backup_down{background:#ff9090}
.active_going_up{background:#ffd020}
.active_going_down{background:#ffffa0}
.active_up{background:#c0ffc0}
.active_nolb,.active_draining{background:#20a0ff}
.active_no_check,.backup_no_check{background:#e0e0e0}
.backup_going_up{background:#ff80ff}
.backup_going_down{background:#c060ff}
.backup_up{background:#b0d0ff}
.backup_nolb{background:#90b0e0}
.backup_draining{background:#cc9900}
.maintain{background:#c07820}
.rls{letter-spacing:0.2em;margin-right:1px}
a.px:link,a.px:visited{color:#ffff40;text-decoration:none}
a.px:hover{color:#ffffff;text-decoration:none}
a.lfsb:link,a.lfsb:visited{color:#000000;text-decoration:none}
a.lfsb:hover{color:#505050;text-decoration:none}
table.tbl{border-collapse:collapse;border-style:none}
table.tbl td{text-align:right;border:1px solid gray;padding:2px 3px;white-space:nowrap}
table.tbl td.ac{text-align:center}
table.tbl th{border:1px solid gray}
table.tbl th.pxname{background:#b00040;color:#ffff40;font-weight:bold;border-style:solid solid none solid;padding:2px 3px;white-space:nowrap}
table.tbl th.empty{border-style:none;empty-cells:hide;background:white}
table.tbl th.desc{background:white;border-style:solid solid none solid;text-align:left;padding:2px 3px}
table.lgd{border-collapse:collapse;border-width:1px;border-style:none none none solid;border-color:black}
table.lgd td{border:1px solid gray;padding:2px}
table.lgd td.noborder{border-style:none;padding:2px;white-space:nowrap}
u{text-decoration:none;border-bottom:1px dotted black}
div.tips{display:block;visibility:hidden;z-index:2147483647;position:absolute;padding:2px 4px 3px;background:#f0f060;color:#000000;border:1px solid #7040c0;white-space:nowrap;font-size:11px;border-radius:3px;box-shadow:gray 2px 2px 3px}
u:hover div.tips{visibility:visible}
`

// group is one column group of the tables: its title and sub-columns.
var groups = []struct {
	title string
	cols  []string
}{
	{"Queue", []string{"Cur", "Max", "Limit"}},
	{"Session rate", []string{"Cur", "Max", "Limit"}},
	{"Sessions", []string{"Cur", "Max", "Limit", "Total", "LbTot", "Last"}},
	{"Bytes", []string{"In", "Out"}},
	{"Denied", []string{"Req", "Resp"}},
	{"Errors", []string{"Req", "Conn", "Resp"}},
	{"Warnings", []string{"Retr", "Redis"}},
	{"Server", []string{"Status", "LastChk", "Wght", "Act", "Bck", "Chk", "Dwn", "Dwntme", "Thrtle"}},
}

// WritePage writes the HTML statistics page of the rows opts selects.
func WritePage(w io.Writer, snap *Snapshot, info *Info, p Page, opts Options) error {
	bw := bufio.NewWriter(w)
	e := html.EscapeString
	bw.WriteString("<!DOCTYPE html>\n<html><head><title>Statistics Report for HAProxy")
	if p.Node != "" {
		bw.WriteString(" on " + e(p.Node))
	}
	bw.WriteString("</title>\n<link rel=\"icon\" href=\"data:,\">\n<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n")
	bw.WriteString("<style type=\"text/css\">\n" + htmlStyle + "</style></head>\n<body>")
	if p.HideVersion {
		bw.WriteString("<h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy</a></h1>\n")
	} else {
		fmt.Fprintf(bw, "<h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy version %s, released %s</a></h1>\n",
			e(p.Version), e(p.ReleaseDate))
	}
	fmt.Fprintf(bw, "<h2>Statistics Report for pid %s", info[InfoPid].String())
	if p.Node != "" {
		bw.WriteString(" on " + e(p.Node))
	}
	if p.Desc != "" {
		bw.WriteString(": " + e(p.Desc))
	}
	bw.WriteString("</h2>\n")
	bw.WriteString("<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n")
	writeGeneral(bw, info, p, opts)
	if p.Status != "" {
		writeStatusMessage(bw, p.Status)
	}
	rows := snap.Select(opts)
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].ProxyID == rows[i].ProxyID && rows[j].Proxy() == rows[i].Proxy() {
			j++
		}
		writeProxy(bw, rows[i:j], p)
		i = j
	}
	bw.WriteString("</body>\n</html>\n")
	return bw.Flush()
}

func writeGeneral(bw *bufio.Writer, info *Info, p Page, opts Options) {
	fmt.Fprintf(bw, "<table border=0><tr><td align=\"left\" nowrap width=\"1%%\">\n<p><b>pid = </b> %s (process #1, nbproc = 1, nbthread = %s)<br>\n",
		info[InfoPid].String(), info[InfoNbthread].String())
	fmt.Fprintf(bw, "<b>uptime = </b> %s<br>\n", html.EscapeString(info[InfoUptime].String()))
	fmt.Fprintf(bw, "<b>system limits:</b> memmax = unlimited; ulimit-n = %s<br>\n", info[InfoUlimitN].String())
	fmt.Fprintf(bw, "<b>maxsock = </b> %s; <b>maxconn = </b> %s; <b>maxpipes = </b> %s<br>\n", info[InfoMaxsock].String(), info[InfoMaxconn].String(),
		info[InfoMaxpipes].String())
	fmt.Fprintf(bw, "current conns = %s; current pipes = 0/0; conn rate = %s/sec<br>\n", info[InfoCurrConns].String(), info[InfoConnRate].String())
	fmt.Fprintf(bw, "Running tasks: 0/%s; idle = %s %%<br>\n</td><td align=\"center\" nowrap>\n", info[InfoJobs].String(), info[InfoIdlePct].String())
	// The legend of the state colours.
	bw.WriteString("<table class=\"lgd\"><tr>\n")
	legend := [][2]string{{"active_up", "active UP"}, {"backup_up", "backup UP"},
		{"active_going_down", "active UP, going down"}, {"backup_going_down", "backup UP, going down"},
		{"active_going_up", "active DOWN, going up"}, {"backup_going_up", "backup DOWN, going up"},
		{"active_down", "active or backup DOWN"}, {"active_no_check", "not checked"}}
	for i, l := range legend {
		fmt.Fprintf(bw, "<td class=\"%s\">&nbsp;</td><td class=\"noborder\">%s </td>", l[0], l[1])
		if i%2 == 1 {
			bw.WriteString("</tr><tr>\n")
		}
	}
	bw.WriteString("<td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n")
	bw.WriteString("<td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n")
	bw.WriteString("Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td>")
	// Display options: links keep the page's other flags.
	uri := html.EscapeString(p.URI)
	flags := func(extra ...string) string {
		var f []string
		if p.Up {
			f = append(f, "up")
		}
		if p.NoRefresh {
			f = append(f, "norefresh")
		}
		f = append(f, extra...)
		if len(f) == 0 {
			return uri
		}
		return uri + ";" + strings.Join(f, ";")
	}
	bw.WriteString("<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul style=\"margin-top: 0.25em;\">")
	fmt.Fprintf(bw, "<li><form method=\"GET\">Scope : <input value=\"%s\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>\n",
		html.EscapeString(p.Scope))
	if p.Up {
		fmt.Fprintf(bw, "<li><a href=\"%s\">Show all servers</a><br>\n", strings.Replace(flags(), ";up", "", 1))
	} else {
		fmt.Fprintf(bw, "<li><a href=\"%s\">Hide 'DOWN' servers</a><br>\n", flags("up"))
	}
	if p.Refresh > 0 {
		if p.NoRefresh {
			fmt.Fprintf(bw, "<li><a href=\"%s\">Enable refresh</a><br>\n", strings.Replace(flags(), ";norefresh", "", 1))
		} else {
			fmt.Fprintf(bw, "<li><a href=\"%s\">Disable refresh</a><br>\n", flags("norefresh"))
		}
	}
	fmt.Fprintf(bw, "<li><a href=\"%s\">Refresh now</a><br>\n", flags())
	fmt.Fprintf(bw, "<li><a href=\"%s;csv;norefresh\">CSV export</a><br>\n", uri)
	fmt.Fprintf(bw, "<li><a href=\"%s;json;norefresh\">JSON export</a><br>\n", uri)
	bw.WriteString("</ul></td><td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>External resources:</b><ul style=\"margin-top: 0.25em;\">\n")
	bw.WriteString("<li><a href=\"http://www.haproxy.org/\">Primary site</a><br>\n<li><a href=\"http://www.haproxy.org/#docs\">Online manual</a><br>\n")
	bw.WriteString("</ul></td></tr></table>\n")
}

// statusMessages are the admin action results the page reports.
var statusMessages = map[string]string{
	"DONE":  "Action processed successfully.",
	"NONE":  "Nothing has changed.",
	"PART":  "Action not processed on all servers.",
	"ERRP":  "Action not processed because of invalid parameters.",
	"EXCD":  "Action not processed: the buffer couldn't store all the data.",
	"DENY":  "Action denied.",
	"UNKN":  "Unexpected result.",
	"NOSRV": "Action not processed: no server selected.",
}

func writeStatusMessage(bw *bufio.Writer, st string) {
	msg, ok := statusMessages[st]
	if !ok {
		msg = statusMessages["UNKN"]
	}
	color := "#20a0ff"
	if st == "DONE" {
		color = "#c0ffc0"
	} else if st != "NONE" {
		color = "#ff9090"
	}
	fmt.Fprintf(bw, "<p><div style=\"background:%s;padding:4px\"><b>%s</b></div>\n", color, html.EscapeString(msg))
}

// writeProxy writes one proxy's title and table.
func writeProxy(bw *bufio.Writer, rows []Row, p Page) {
	e := html.EscapeString
	name := e(rows[0].Proxy())
	var caps []string
	mode := ""
	hasBackend := false
	for i := range rows {
		mode = rows[i].Values[Mode].Str
		switch rows[i].Type {
		case Frontend:
			caps = append(caps, "frontend")
		case Backend:
			caps = append(caps, "backend")
			hasBackend = true
		}
	}
	admin := p.Admin && hasBackend
	if admin {
		fmt.Fprintf(bw, "<form method=\"post\">")
	}
	fmt.Fprintf(bw, "<table class=\"tbl\" width=\"100%%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%%\"><a name=\"%s\"></a>", name)
	if p.ShowLegends {
		fmt.Fprintf(bw, "<u><a class=px href=\"#%s\">%s</a><div class=tips>cap: %s, mode: %s, id: %d</div></u>",
			name, name, strings.Join(caps, ","), e(mode), rows[0].ProxyID)
	} else {
		fmt.Fprintf(bw, "<a class=px href=\"#%s\">%s</a>", name, name)
	}
	class, desc := "empty", p.ProxyDescs[name]
	if desc != "" {
		class = "desc"
	}
	fmt.Fprintf(bw, "</th><th class=\"%s\" width=\"90%%\">%s</th></tr>\n</table>\n<table class=\"tbl\" width=\"100%%\">\n<tr class=\"titre\">", class, desc)
	if admin {
		bw.WriteString("<th rowspan=2 width=1></th>")
	}
	bw.WriteString("<th rowspan=2></th>")
	for _, g := range groups {
		fmt.Fprintf(bw, "<th colspan=%d>%s</th>", len(g.cols), g.title)
	}
	bw.WriteString("</tr>\n<tr class=\"titre\">")
	for _, g := range groups {
		for _, c := range g.cols {
			bw.WriteString("<th>" + c + "</th>")
		}
	}
	bw.WriteString("\n</tr>")
	for i := range rows {
		if rows[i].Type == Listener {
			writeListenerRow(bw, &rows[i], admin, p.ShowLegends)
			continue
		}
		writeRow(bw, &rows[i], admin)
	}
	bw.WriteString("</table>")
	if admin {
		fmt.Fprintf(bw, "Choose the action to perform on the checked servers : <select name=action>"+
			"<option value=\"\"></option><option value=\"ready\">Set state to READY</option>"+
			"<option value=\"drain\">Set state to DRAIN</option><option value=\"maint\">Set state to MAINT</option>"+
			"<option value=\"dhlth\">Health: disable checks</option><option value=\"ehlth\">Health: enable checks</option>"+
			"<option value=\"hrunn\">Health: force UP</option><option value=\"hnolb\">Health: force NOLB</option>"+
			"<option value=\"hdown\">Health: force DOWN</option><option value=\"shutdown\">Kill Sessions</option>"+
			"</select><input type=\"hidden\" name=\"b\" value=\"#%d\"><input type=\"submit\" value=\"Apply\"></form>", rows[0].ProxyID)
	}
	bw.WriteString("<p>\n")
}

// rowClass is the CSS class of a row: its state colour.
func rowClass(r *Row) string {
	switch r.Type {
	case Frontend:
		return "frontend"
	case Backend:
		return "backend"
	}
	prefix := "active_"
	if r.Values[Bck].Num == 1 {
		prefix = "backup_"
	}
	st := r.Values[Status].Str
	switch {
	case strings.HasPrefix(st, "MAINT"):
		return "maintain"
	case strings.HasPrefix(st, "DRAIN"):
		return prefix + "draining"
	case st == "no check":
		return prefix + "no_check"
	case strings.HasPrefix(st, "NOLB"):
		return prefix + "nolb"
	case strings.HasPrefix(st, "UP "):
		return prefix + "going_down"
	case strings.HasPrefix(st, "DOWN "):
		return prefix + "going_up"
	case strings.HasPrefix(st, "UP"):
		return prefix + "up"
	}
	return prefix + "down"
}

// num formats a number as the reference does, the digit before each
// group of three spaced a little (class rls) for readability.
func num(v Value) string {
	if v.IsEmpty() {
		return ""
	}
	s := v.String()
	if v.Kind == KindStr || len(s) <= 3 {
		return html.EscapeString(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		left := len(s) - i - 1
		if left > 0 && left%3 == 0 && s[i] >= '0' && s[i] <= '9' {
			b.WriteString("<span class=\"rls\">" + s[i:i+1] + "</span>")
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// humanTime formats seconds as the reference's short durations.
func humanTime(sec int64) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
	case sec < 86400:
		return fmt.Sprintf("%dh%02dm", sec/3600, sec/60%60)
	}
	return fmt.Sprintf("%dd%02dh", sec/86400, sec/3600%24)
}

// orDash is a limit cell: "-" when unset.
func orDash(v Value) string {
	if v.IsEmpty() || (v.Kind != KindStr && v.Num == 0) {
		return "-"
	}
	return num(v)
}

func writeRow(bw *bufio.Writer, r *Row, admin bool) {
	e := html.EscapeString
	v := &r.Values
	td := func(s string) { bw.WriteString("<td>" + s + "</td>") }
	tdc := func(s string) { bw.WriteString("<td class=ac>" + s + "</td>") }
	tip := func(s, tip string) string { return "<u>" + s + "<div class=tips>" + tip + "</div></u>" }
	px, name := e(r.Proxy()), e(r.Name())
	fmt.Fprintf(bw, "<tr class=\"%s\">", rowClass(r))
	if admin {
		if r.Type == Server {
			fmt.Fprintf(bw, "<td><input class=%s type=\"checkbox\" name=\"s\" value=\"%s\"></td>", px, name)
		} else {
			bw.WriteString("<td></td>")
		}
	}
	label := map[ObjType]string{Frontend: "Frontend", Backend: "Backend"}[r.Type]
	if label == "" {
		label = name
	}
	anchor := fmt.Sprintf("<a name=\"%s/%s\"></a><a class=lfsb href=\"#%s/%s\">%s</a>", px, label, px, label, label)
	switch r.Type {
	case Server:
		anchor = tip(anchor, "addr: "+e(v[Addr].Str)+", id: "+v[Sid].String())
	case Backend:
		anchor = tip(anchor, "balancing: "+e(v[Algo].Str))
	}
	tdc(anchor)
	// Queue.
	if r.Type == Frontend {
		bw.WriteString("<td colspan=3></td>")
	} else {
		td(num(v[Qcur]))
		td(num(v[Qmax]))
		if r.Type == Server {
			td(orDash(v[Qlimit]))
		} else {
			td("")
		}
	}
	// Session rate.
	td(num(v[Rate]))
	td(num(v[RateMax]))
	if r.Type == Frontend {
		td(orDash(v[RateLim]))
	} else {
		td("")
	}
	// Sessions.
	td(num(v[Scur]))
	td(num(v[Smax]))
	if r.Type == Server {
		td(orDash(v[Slim]))
	} else {
		td(num(v[Slim]))
	}
	total := num(v[Stot])
	if !v[ReqTot].IsEmpty() {
		total = tip(total, fmt.Sprintf("Cum. HTTP requests: %s<br>- HTTP 1xx responses: %s<br>- HTTP 2xx responses: %s<br>"+
			"- HTTP 3xx responses: %s<br>- HTTP 4xx responses: %s<br>- HTTP 5xx responses: %s<br>- other responses: %s",
			v[ReqTot], v[Hrsp1xx], v[Hrsp2xx], v[Hrsp3xx], v[Hrsp4xx], v[Hrsp5xx], v[HrspOther]))
	}
	td(total)
	if r.Type == Frontend {
		td("")
		td("")
	} else {
		td(num(v[Lbtot]))
		if v[Lastsess].Num < 0 {
			td("?")
		} else {
			td(humanTime(v[Lastsess].Num))
		}
	}
	// Bytes, denied, errors, warnings.
	td(num(v[Bin]))
	td(num(v[Bout]))
	td(num(v[Dreq]))
	td(num(v[Dresp]))
	td(num(v[Ereq]))
	td(num(v[Econ]))
	td(num(v[Eresp]))
	td(num(v[Wretr]))
	td(num(v[Wredis]))
	// Server.
	status := e(v[Status].Str)
	switch r.Type {
	case Frontend:
		tdc(status)
		bw.WriteString("<td class=ac colspan=8></td></tr>\n")
		return
	case Server:
		if v[Status].Str == "no check" {
			status = "<i>no check</i>"
		} else if !v[Lastchg].IsEmpty() {
			status = humanTime(v[Lastchg].Num) + " " + status
		}
	case Backend:
		status = humanTime(v[Lastchg].Num) + " " + status
	}
	tdc(status)
	if r.Type == Server && !v[CheckStatus].IsEmpty() {
		chk := e(v[CheckStatus].Str)
		if !v[CheckCode].IsEmpty() {
			chk += "/" + v[CheckCode].String()
		}
		chk += " in " + v[CheckDuration].String() + "ms"
		desc := e(v[CheckDesc].Str)
		if v[LastChk].Str != "" {
			desc += ": " + e(v[LastChk].Str)
		}
		tdc(tip(" "+chk, desc))
	} else {
		tdc("&nbsp;")
	}
	tdc(v[Weight].String() + "/" + v[Uweight].String())
	if r.Type == Server {
		tdc(map[bool]string{true: "Y", false: "-"}[v[Act].Num == 1])
		tdc(map[bool]string{true: "Y", false: "-"}[v[Bck].Num == 1])
	} else {
		tdc(v[Act].String())
		tdc(v[Bck].String())
	}
	if r.Type == Server && !v[Chkfail].IsEmpty() {
		td(tip(v[Chkfail].String(), "Failed Health Checks"))
		td(v[Chkdown].String())
		td(humanTime(v[Downtime].Num))
	} else if r.Type == Backend {
		tdc("&nbsp;")
		td(v[Chkdown].String())
		td(humanTime(v[Downtime].Num))
	} else {
		td("")
		td("")
		td("")
	}
	if v[Throttle].IsEmpty() {
		tdc("-")
	} else {
		tdc(v[Throttle].String() + " %")
	}
	bw.WriteString("</tr>\n")
}

// ParseQuery splits the flags a stats URI carries after its prefix
// (";csv;norefresh", ";up", "?scope=x", ";st=DONE").
func ParseQuery(rest string) (flags map[string]string) {
	flags = map[string]string{}
	rest, query, _ := strings.Cut(rest, "?")
	for _, f := range strings.Split(rest, ";") {
		if f == "" {
			continue
		}
		k, v, _ := strings.Cut(f, "=")
		flags[k] = v
	}
	for _, kv := range strings.Split(query, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "scope" {
			flags["scope"] = v
		}
	}
	return flags
}

// writeListenerRow writes a listener's row (option socket-stats): its
// sessions, bytes, denials and request errors, and its status in the
// server columns; with show-legends its address and id as a tip.
func writeListenerRow(bw *bufio.Writer, r *Row, admin, legends bool) {
	e := html.EscapeString
	v := &r.Values
	px, name := e(r.Proxy()), e(r.Name())
	bw.WriteString("<tr class=socket>")
	if admin {
		bw.WriteString("<td></td>")
	}
	fmt.Fprintf(bw, "<td class=ac><a name=\"%s/+%s\"></a>", px, name)
	link := fmt.Sprintf("<a class=lfsb href=\"#%s/+%s\">%s</a>", px, name, name)
	if legends {
		addr := e(v[Addr].Str)
		switch {
		case addr == "":
		case addr[0] >= '0' && addr[0] <= '9':
			addr = "IPv4: " + addr + ", "
		case addr[0] == '[':
			addr = "IPv6: " + addr + ", "
		default:
			addr += ", "
		}
		link = "<u>" + link + "<div class=tips>" + addr + "id: " + v[Sid].String() + "</div></u>"
	}
	bw.WriteString(link + "</td><td colspan=3></td><td colspan=3>&nbsp;</td>")
	for _, f := range []Field{Scur, Smax, Slim, Stot} {
		bw.WriteString("<td>" + num(v[f]) + "</td>")
	}
	bw.WriteString("<td>&nbsp;</td><td>&nbsp;</td>")
	for _, f := range []Field{Bin, Bout, Dreq, Dresp, Ereq} {
		bw.WriteString("<td>" + num(v[f]) + "</td>")
	}
	bw.WriteString("<td></td><td></td><td></td><td></td><td class=ac>" + e(v[Status].Str) + "</td><td class=ac colspan=8></td></tr>")
}

package apisock

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"fulcrum/proxy"
)

// Level is a socket's (or a session's) access level.
type Level int

// Access levels, as `level` on a `stats socket` line.
const (
	LevelUser Level = iota + 1
	LevelOperator
	LevelAdmin
)

func (l Level) String() string {
	switch l {
	case LevelUser:
		return "user"
	case LevelOperator:
		return "operator"
	case LevelAdmin:
		return "admin"
	}
	return "unknown"
}

// permissionDenied is the reference's answer to a command above the
// session's level.
const permissionDenied = "Permission denied\n"

// command is one Runtime API keyword: its leading words, its help line
// and what it does. run returns the text printed before the prompt.
type command struct {
	words []string
	usage string
	run   func(s *session, args []string, payload string) string
}

// commands lists the commands Fulcrum implements, with the reference's
// help lines. Each one checks its level as the reference does (some only
// for some arguments).
var commands []*command

func init() {
	add := register
	add("add server", "add server <bk>/<srv>                   : create a new server", (*session).addServer)
	add("clear counters", "clear counters [all]                    : clear max statistics counters (or all counters)", (*session).clearCounters)
	add("del server", "del server <bk>/<srv>                   : remove a dynamically added server", (*session).delServer)
	add("disable agent", "disable agent                           : disable agent checks", serverCmd(2, func(e *proxy.Engine, be, srv string, _ []string) error {
		return e.SetServerAgent(be, srv, false)
	}))
	add("disable health", "disable health                          : disable health checks", serverCmd(2, func(e *proxy.Engine, be, srv string, _ []string) error {
		return e.SetServerChecks(be, srv, false)
	}))
	add("disable server", "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)", serverCmd(2, func(e *proxy.Engine, be, srv string, _ []string) error {
		return e.SetServerAdmin(be, srv, proxy.AdminMaint)
	}))
	add("enable agent", "enable agent                            : enable agent checks", serverCmd(2, func(e *proxy.Engine, be, srv string, _ []string) error {
		return e.SetServerAgent(be, srv, true)
	}))
	add("enable health", "enable health                           : enable health checks", serverCmd(2, func(e *proxy.Engine, be, srv string, _ []string) error {
		return e.SetServerChecks(be, srv, true)
	}))
	add("enable server", "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)", serverCmd(2, func(e *proxy.Engine, be, srv string, _ []string) error {
		return e.SetServerAdmin(be, srv, proxy.AdminReady)
	}))
	add("get weight", "get weight <bk>/<srv>                   : report a server's current weight", (*session).getWeight)
	add("operator", "operator                                : lower the level of the current CLI session to operator", (*session).setLevel)
	add("set maxconn frontend", "set maxconn frontend <frontend> <value> : change a frontend's maxconn setting", (*session).setMaxConnFrontend)
	add("set maxconn global", "set maxconn global <value>              : change the per-process maxconn setting", (*session).setMaxConnGlobal)
	add("set maxconn server", "set maxconn server <bk>/<srv>           : change a server's maxconn setting", serverCmd(3, setMaxConnServer))
	add("set rate-limit", "set rate-limit <setting> <value>        : change a rate limiting value", (*session).setRateLimit)
	add("set server", "set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl", (*session).setServer)
	add("set timeout", "set timeout [cli] <delay>               : change a timeout setting", (*session).setTimeout)
	add("set weight", "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)", serverCmd(2, func(e *proxy.Engine, be, srv string, args []string) error {
		return setWeight(e, be, srv, arg(args, 3))
	}))
	add("show backend", "show backend                            : list backends in the current running config", (*session).showBackend)
	add("show cli level", "show cli level                          : display the level of the current CLI session", func(s *session, _ []string, _ string) string {
		return s.level.String() + "\n"
	})
	add("show errors", "show errors [<px>] [request|response]   : report last request and/or response errors for each proxy", (*session).showErrors)
	add("show resolvers", "show resolvers [id]                     : dumps counters from all resolvers section and associated name servers", (*session).showResolvers)
	add("show servers state", "show servers state [<backend>]          : dump volatile server information (all or for a single backend)", (*session).showServersState)
	add("show sess", "show sess [id]                          : report the list of current sessions or dump this exact session", (*session).showSess)
	add("show version", "show version                            : show version of the current process", func(s *session, _ []string, _ string) string {
		return s.srv.cfg.Version + "\n"
	})
	add("shutdown session", "shutdown session [id]                   : kill a specific session", (*session).shutdownSession)
	add("shutdown sessions server", "shutdown sessions server <bk>/<srv>     : kill sessions on a server", serverCmd(3, func(e *proxy.Engine, be, srv string, _ []string) error {
		return e.ShutdownServerSessions(be, srv)
	}))
	add("user", "user                                    : lower the level of the current CLI session to user", (*session).setLevel)
}

// register adds a command to the table: its words, its help line
// (exactly the reference's) and what it does.
func register(words, usage string, run func(*session, []string, string) string) {
	commands = append(commands, &command{words: strings.Fields(words), usage: usage, run: run})
}

// arg returns args[i], or "" past the end (the reference's unused
// argument slots are empty strings).
func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// findCommand returns the command whose words start args, the longest
// such.
func findCommand(args []string) *command {
	var best *command
	for _, c := range commands {
		if len(c.words) > len(args) || (best != nil && len(best.words) >= len(c.words)) {
			continue
		}
		ok := true
		for i, w := range c.words {
			if args[i] != w {
				ok = false
				break
			}
		}
		if ok {
			best = c
		}
	}
	return best
}

// splitServer cuts "backend/server" as cli_find_server does.
func splitServer(s string) (be, srv string, ok bool) {
	be, srv, _ = strings.Cut(s, "/")
	return be, srv, be != "" && srv != ""
}

// engineError renders an engine error as the reference prints it.
func engineError(err error) string {
	var raw errNoLF
	switch {
	case err == nil:
		return ""
	case errors.As(err, &raw):
		return string(raw)
	}
	return err.Error() + "\n"
}

// serverCmd builds an admin-level command acting on the server named by
// args[at] ("backend/server").
func serverCmd(at int, do func(e *proxy.Engine, be, srv string, args []string) error) func(*session, []string, string) string {
	return func(s *session, args []string, _ string) string {
		if s.level < LevelAdmin {
			return permissionDenied
		}
		be, srv, ok := splitServer(arg(args, at))
		if !ok {
			return "Require 'backend/server'.\n"
		}
		return engineError(do(s.srv.engine, be, srv, args))
	}
}

// setWeight applies a weight as server_parse_weight_change_request
// reads it: absolute, or relative to the initial weight with '%'.
func setWeight(e *proxy.Engine, be, srv, spec string) error {
	if spec == "" {
		return errors.New("Require <weight> or <weight%>.")
	}
	_, initial, err := e.ServerWeight(be, srv)
	if err != nil {
		return err
	}
	n, rest := leadingInt(spec)
	switch {
	case rest == spec:
		// The reference's message has no trailing newline here.
		return errNoLF("Empty weight string empty or preceded by garbage")
	case rest == "%":
		if n < 0 {
			return errors.New("Relative weight must be positive.")
		}
		n = min(initial*min(n, 25600)/100, 256)
	case n < 0 || n > 256:
		return proxy.ErrWeightRange
	case rest != "":
		return errNoLF("Trailing garbage in weight string")
	}
	return e.SetServerWeight(be, srv, n)
}

// errNoLF is a message the reference prints without a newline.
type errNoLF string

func (e errNoLF) Error() string { return string(e) }

// leadingInt reads a decimal integer like strtol: optional spaces and
// sign, digits; it returns the value and what follows (s itself when
// there are no digits).
func leadingInt(s string) (int, string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j {
		return 0, s
	}
	n, err := strconv.Atoi(s[i:k])
	if err != nil { // out of range: saturate as strtol does
		n = 1 << 31
		if s[i] == '-' {
			n = -n
		}
	}
	return n, s[k:]
}

// atoi is C's atoi: the leading integer, 0 when there is none.
func atoi(s string) int {
	n, _ := leadingInt(s)
	return n
}

func setMaxConnServer(e *proxy.Engine, be, srv string, args []string) error {
	v := arg(args, 4)
	if v == "" {
		return errors.New("Require <maxconn>.")
	}
	n, rest := leadingInt(v)
	switch {
	case rest == v:
		return errNoLF("maxconn string empty or preceded by garbage")
	case rest != "":
		return errNoLF("Trailing garbage in maxconn string")
	}
	return e.SetServerMaxConn(be, srv, n)
}

func (s *session) getWeight(args []string, _ string) string {
	be, srv, _ := strings.Cut(arg(args, 2), "/")
	if srv == "" {
		return "Require 'backend/server'.\n"
	}
	cur, initial, err := s.srv.engine.ServerWeight(be, srv)
	if err != nil {
		return engineError(err)
	}
	return fmt.Sprintf("%d (initial %d)\n", cur, initial)
}

func (s *session) setServer(args []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	be, srv, ok := splitServer(arg(args, 2))
	if !ok {
		return "Require 'backend/server'.\n"
	}
	e := s.srv.engine
	if _, _, err := e.ServerWeight(be, srv); err != nil {
		return engineError(err)
	}
	val := arg(args, 4)
	switch arg(args, 3) {
	case "weight":
		return engineError(setWeight(e, be, srv, val))
	case "state":
		st, ok := map[string]proxy.AdminState{"ready": proxy.AdminReady, "drain": proxy.AdminDrain, "maint": proxy.AdminMaint}[val]
		if !ok {
			return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"
		}
		return engineError(e.SetServerAdmin(be, srv, st))
	case "health":
		h, ok := map[string]proxy.HealthState{"up": proxy.HealthUp, "stopping": proxy.HealthStopping, "down": proxy.HealthDown}[val]
		if !ok {
			return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"
		}
		return engineError(e.SetServerHealth(be, srv, h))
	case "agent":
		if !e.AgentEnabled(be, srv) {
			return engineError(proxy.ErrAgentOff)
		}
		up, ok := map[string]bool{"up": true, "down": false}[val]
		if !ok {
			return "'set server <srv> agent' expects 'up' or 'down'.\n"
		}
		return engineError(e.SetAgentHealth(be, srv, up))
	case "addr":
		if val == "" {
			return "set server <b>/<s> addr requires an address and optionally a port.\n"
		}
		return s.setAddr(be, srv, val, args)
	}
	return "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n"
}

// setAddr is `set server <b>/<s> addr <ip> [port <port>]`, answered as
// srv_update_addr_port.
func (s *session) setAddr(be, srv, val string, args []string) string {
	ip, err := netip.ParseAddr(val)
	if err != nil {
		return "Invalid addr '" + val + "'\n"
	}
	var port uint16
	portArg := ""
	if arg(args, 5) == "port" {
		portArg = arg(args, 6)
		p, err := strconv.ParseUint(strings.TrimPrefix(portArg, "+"), 10, 16)
		if err != nil || strings.HasPrefix(portArg, "-") || strings.HasPrefix(portArg, "+") {
			return "Invalid port '" + portArg + "'\n"
		}
		port = uint16(p)
	}
	old, err := s.srv.engine.SetServerAddr(be, srv, ip, port)
	if err != nil {
		return engineError(err)
	}
	var msg strings.Builder
	if old.Addr() != ip {
		fmt.Fprintf(&msg, "IP changed from '%s' to '%s'", old.Addr(), ip)
	} else {
		msg.WriteString("no need to change the addr")
	}
	if portArg != "" {
		if old.Port() != port {
			fmt.Fprintf(&msg, ", port changed from '%d' to '%d'", old.Port(), port)
		} else {
			msg.WriteString(", no need to change the port")
		}
	}
	msg.WriteString(" by 'stats socket command'")
	return msg.String() + "\n"
}

func (s *session) setMaxConnFrontend(args []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	name := arg(args, 3)
	if name == "" {
		return "A frontend name is expected.\n"
	}
	if !s.srv.hasFrontend(name) {
		return "No such frontend.\n"
	}
	if arg(args, 4) == "" {
		return "Integer value expected.\n"
	}
	v := atoi(arg(args, 4))
	if v < 0 {
		return "Value out of range.\n"
	}
	return engineError(s.srv.engine.SetFrontendMaxConn(name, v))
}

func (s *session) setMaxConnGlobal(args []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	if arg(args, 3) == "" {
		return "Expects an integer value.\n"
	}
	v := atoi(arg(args, 3))
	hard := s.srv.cfg.HardMaxConn
	if hard > 0 && v > hard {
		return "Value out of range.\n"
	}
	if v <= 0 {
		v = hard
	}
	return engineError(s.srv.engine.SetGlobalMaxConn(v))
}

func (s *session) setRateLimit(args []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	what := arg(args, 2) + " " + arg(args, 3)
	switch what {
	case "connections global", "sessions global", "ssl-sessions global", "http-compression global":
	default:
		return "'set rate-limit' only supports :\n" +
			"   - 'connections global' to set the per-process maximum connection rate\n" +
			"   - 'sessions global' to set the per-process maximum session rate\n" +
			"   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n" +
			"   - 'http-compression global' to set the per-process maximum compression speed in kB/s\n"
	}
	if arg(args, 4) == "" {
		return "Expects an integer value.\n"
	}
	v := atoi(arg(args, 4))
	if v < 0 {
		return "Value out of range.\n"
	}
	switch what {
	case "connections global":
		return engineError(s.srv.engine.SetConnRateLimit(v))
	case "sessions global":
		return engineError(s.srv.engine.SetSessionRateLimit(v))
	}
	s.srv.logf("'set rate-limit %s' accepted; Fulcrum has no %s to limit.", what, strings.Fields(what)[0])
	return ""
}

func (s *session) setTimeout(args []string, _ string) string {
	if arg(args, 2) != "cli" {
		return "'set timeout' only supports 'cli'.\n"
	}
	v := arg(args, 3)
	if v == "" {
		return "Expects an integer value.\n"
	}
	d, ok := parseTime(v)
	if !ok {
		return "Invalid timeout value.\n"
	}
	s.timeout = d
	return ""
}

// parseTime reads a delay with HAProxy's units (default ms).
func parseTime(v string) (time.Duration, bool) {
	n, rest := leadingInt(v)
	if rest == v || n < 0 || strings.HasPrefix(v, "+") || strings.HasPrefix(v, " ") {
		return 0, false
	}
	unit, ok := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[rest]
	return time.Duration(n) * unit, ok
}

func (s *session) setLevel(args []string, _ string) string {
	want := LevelUser
	if args[0] == "operator" {
		want = LevelOperator
	}
	if s.level < want {
		return permissionDenied
	}
	s.level = want
	return ""
}

func (s *session) clearCounters(args []string, _ string) string {
	all := arg(args, 2) == "all"
	if s.level < LevelOperator || (all && s.level < LevelAdmin) {
		return permissionDenied
	}
	s.srv.engine.ClearCounters(all)
	return ""
}

func (s *session) shutdownSession(args []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(arg(args, 2)), "0x"), 16, 64)
	if err != nil || id == 0 {
		return "Session pointer expected (use 'show sess').\n"
	}
	if sid := fmt.Sprintf("%#x", id); s.srv.shutdownCLISession(sid) {
		return ""
	} else {
		return engineError(s.srv.engine.ShutdownSession(sid))
	}
}

func (s *session) addServer(args []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	be, name, _ := strings.Cut(arg(args, 2), "/")
	if name == "" {
		return "Require 'backend/server'."
	}
	e := s.srv.engine
	if !s.srv.hasBackend(be) {
		return "No such backend."
	}
	if s.srv.cfg.ParseServer == nil {
		return "Fulcrum cannot parse server lines here."
	}
	sc, err := s.srv.cfg.ParseServer(be, name, args[3:])
	if err == nil {
		err = e.AddServer(be, sc)
	}
	if errors.Is(err, proxy.ErrDynamicLB) {
		// Checked before the server is parsed: a bare message.
		return err.Error()
	}
	if err != nil {
		s.srv.logf("CLI : 'server %s/%s' : %s", be, name, err)
		return err.Error() + "\n"
	}
	s.srv.logf("CLI : 'server %s/%s' : New server registered.", be, name)
	return "New server registered.\n"
}

func (s *session) delServer(args []string, _ string) string {
	if s.level < LevelAdmin {
		return permissionDenied
	}
	be, name, _ := strings.Cut(arg(args, 2), "/")
	if name == "" {
		return "Require 'backend/server'."
	}
	if err := s.srv.engine.DelServer(be, name); err != nil {
		return err.Error()
	}
	s.srv.logf("CLI : Server deleted.")
	return "Server deleted."
}

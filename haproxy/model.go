package haproxy

import (
	"path/filepath"

	"fulcrum/confparse"
)

// Config is a whole HAProxy configuration: the global section, the
// defaults sections, the proxies and the auxiliary sections, in file order.
type Config struct {
	Global   Global     `json:"global"`
	Defaults []*Proxy   `json:"defaults,omitempty"`
	Proxies  []*Proxy   `json:"proxies,omitempty"`
	Others   []*Section `json:"others,omitempty"`
	Programs []*Program `json:"programs,omitempty"`

	// Pending lists, with their positions, the keywords the configuration
	// uses that the engines do not act on yet. They are kept apart from
	// the reference-visible diagnostics so that `-c` stays identical to
	// the reference; the daemon prints them as warnings when it starts.
	Pending []confparse.Diagnostic `json:"-"`

	// Environ is the process environment the global setenv, presetenv,
	// unsetenv and resetenv lines leave (environ.go); nil when none.
	Environ []string `json:"-"`

	// Order records the sections as they appear, for printing back.
	Order []*Section `json:"-"`

	// QuietFrom is, when Global.Quiet is set, the index of the first
	// diagnostic the "quiet" keyword hides: it acts from where it appears.
	QuietFrom int `json:"-"`

	fatal        bool // the check failed
	masterWorker bool // -W/-Ws or global master-worker
	auxBinds     int  // listeners outside proxies (peers, log-forward)
	// luaLoaded: a Lua file was loaded, so "lua.*" services may exist (we
	// do not run Lua to know which).
	luaLoaded  bool
	failedMaps map[string]bool // map files already reported missing
}

// Directive is one keyword line as written: every line of every section
// is kept, so the configuration can be printed back.
type Directive struct {
	Keyword string        `json:"kw"`
	Args    []string      `json:"args,omitempty"`
	Pos     confparse.Pos `json:"-"`
	Written []string      `json:"-"` // the arguments as written, when default-path resolved some
}

// Section is one section header with its lines. Proxies and the global
// section also fill typed fields; other sections keep only their lines.
type Section struct {
	Kind  string        `json:"kind"`
	Args  []string      `json:"args,omitempty"`
	Lines []Directive   `json:"lines,omitempty"`
	Pos   confparse.Pos `json:"-"`
}

// Global holds the process-wide settings the engines use.
type Global struct {
	Daemon        bool     `json:"daemon,omitempty"`
	MasterWorker  bool     `json:"master_worker,omitempty"`
	Quiet         bool     `json:"quiet,omitempty"`
	ExternalCheck bool     `json:"external_check,omitempty"`
	MaxConn       int      `json:"maxconn,omitempty"`
	NbThread      int      `json:"nbthread,omitempty"`
	User          string   `json:"user,omitempty"`
	Group         string   `json:"group,omitempty"`
	Chroot        string   `json:"chroot,omitempty"`
	PidFile       string   `json:"pidfile,omitempty"`
	Logs          []Log    `json:"logs,omitempty"`
	StatsSockets  []string `json:"stats_sockets,omitempty"`
	Section       *Section `json:"-"`
}

// Arg is the first argument of a global keyword's first line, or "".
func (g *Global) Arg(kw string) string {
	if g.Section == nil {
		return ""
	}
	for _, d := range g.Section.Lines {
		if d.Keyword == kw && len(d.Args) > 0 {
			return d.Args[0]
		}
	}
	return ""
}

// BasePath applies a global base directory (crt-base, ca-base, key-base)
// to a relative path, as the reference does.
func (g *Global) BasePath(key, p string) string {
	base := g.Arg(key)
	if filepath.IsAbs(p) || base == "" {
		return p
	}
	return filepath.Join(base, p)
}

// Log is one "log" target.
type Log struct {
	Target   string `json:"target"`
	Facility string `json:"facility,omitempty"`
	Level    string `json:"level,omitempty"`
	Global   bool   `json:"global,omitempty"` // "log global" in a proxy
}

// Proxy is a frontend, backend, listen or defaults section.
type Proxy struct {
	Kind           string            `json:"kind"` // frontend, backend, listen, defaults
	Name           string            `json:"name,omitempty"`
	From           string            `json:"from,omitempty"`
	Mode           string            `json:"mode,omitempty"`
	Balance        []string          `json:"balance,omitempty"`
	MaxConn        int               `json:"maxconn,omitempty"`
	Timeouts       map[string]int64  `json:"timeouts_ms,omitempty"`
	Options        map[string]bool   `json:"options,omitempty"`
	Binds          []*Bind           `json:"binds,omitempty"`
	Servers        []*Server         `json:"servers,omitempty"`
	DefaultServer  map[string]string `json:"default_server,omitempty"`
	ACLs           []ACL             `json:"acls,omitempty"`
	UseBackends    []UseBackend      `json:"use_backends,omitempty"`
	DefaultBackend string            `json:"default_backend,omitempty"`
	Rules          []Rule            `json:"rules,omitempty"`
	Logs           []Log             `json:"logs,omitempty"`
	ErrorFiles     map[string]string `json:"errorfiles,omitempty"`
	Section        *Section          `json:"-"`
	// SPOE are the proxy's `filter spoe` lines (spoefilter.go).
	SPOE []SPOEFilter `json:"-"`

	defaultBackendPos confparse.Pos
	rulesSeen         map[string]bool  // rule stages met so far, for misplaced-rule warnings
	logFormatPos      confparse.Pos    // where a log format (httplog, log-format, ...) was set
	baseTimeouts      map[string]int64 // the timeouts of the defaults section it starts from
	inheritedLines    []Directive      // the lines of the defaults sections it starts from
	stats             bool             // a "stats" statement enables the statistics page
}

// Bind is one listening address with its options.
type Bind struct {
	Spec    string            `json:"spec"` // the address list as written
	Addrs   []Address         `json:"addrs"`
	Options map[string]string `json:"options,omitempty"`
	Pos     confparse.Pos     `json:"-"`
}

// Address is a parsed socket address: a host (empty for any), a port
// range, or a path for UNIX sockets, with its family prefix.
type Address struct {
	Family string `json:"family,omitempty"` // "", "unix", "abns", "fd", "ipv4", "ipv6", "udp", ...
	Host   string `json:"host,omitempty"`
	Port   int    `json:"port,omitempty"`
	PortHi int    `json:"port_hi,omitempty"`
	Path   string `json:"path,omitempty"`
	Offset string `json:"offset,omitempty"` // "+N"/"-N" relative port of a server
}

// Server is one "server" line; Params gives its typed settings.
type Server struct {
	Name    string            `json:"name"`
	Addr    Address           `json:"addr"`
	Options map[string]string `json:"options,omitempty"`
	Typed   ServerParams      `json:"params"`
	Pos     confparse.Pos     `json:"-"`
}

// ACL is one named condition.
type ACL struct {
	Name      string   `json:"name"`
	Criterion string   `json:"criterion"`
	Args      []string `json:"args,omitempty"`
	Match     Match    `json:"match"`
}

// UseBackend is one use_backend switching rule.
type UseBackend struct {
	Backend   string        `json:"backend"`
	Cond      []string      `json:"cond,omitempty"`
	Condition *Condition    `json:"condition,omitempty"`
	Pos       confparse.Pos `json:"-"`
}

// Rule is one http-request, http-response, http-after-response,
// tcp-request or tcp-response rule: its action words and condition.
type Rule struct {
	Keyword   string     `json:"kw"`
	Action    []string   `json:"action"`
	Cond      []string   `json:"cond,omitempty"`
	Condition *Condition `json:"condition,omitempty"`
}

func (p *Proxy) hasFE() bool { return p.Kind == "frontend" || p.Kind == "listen" }
func (p *Proxy) hasBE() bool { return p.Kind == "backend" || p.Kind == "listen" }

// ZeroWarning reports whether the global section sets "zero-warning":
// warnings then fail the check like -dW.
func (c *Config) ZeroWarning() bool {
	if c == nil || c.Global.Section == nil {
		return false
	}
	for _, d := range c.Global.Section.Lines {
		if d.Keyword == "zero-warning" {
			return true
		}
	}
	return false
}

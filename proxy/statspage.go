package proxy

import (
	"syscall"
	"time"
)

// StatsPage is the statistics page of a proxy (its `stats` lines).
type StatsPage struct {
	// URI is the prefix that selects the page (`stats uri`, default
	// "/haproxy?stats").
	URI   string
	Realm string
	// Users are `stats auth user:password`; none = no authentication.
	Users   []StatsUser
	Refresh time.Duration
	// Admin are the `stats admin if|unless COND` conditions; the page's
	// admin actions are allowed when one holds.
	Admin                    []Cond
	HideVersion              bool
	ShowNode, ShowDesc       bool
	Node, Desc               string // their arguments ("" = the global ones)
	ShowLegends, ShowModules bool
	// Scope limits the page to these proxies (`stats scope`).
	Scope []string
	// Rules are the `stats http-request` rules.
	Rules []StatsRule
}

// StatsUser is one `stats auth` user.
type StatsUser struct{ Name, Password string }

// StatsAction is what a `stats http-request` rule does.
type StatsAction uint8

// stats http-request actions.
const (
	StatsAllow StatsAction = iota
	StatsDeny
	StatsAuth
)

// StatsRule is one `stats http-request` rule.
type StatsRule struct {
	Action StatsAction
	Realm  string
	Cond   Cond
}

func statsAdminRule(c Cond) Cond {
	if c == nil {
		return func(*Session) Verdict { return True }
	}
	return c
}

// defaultMaxConn is the maxconn HAProxy computes when the global section
// sets none: half the file descriptors left after its own, within the
// soft limit it raises to the hard one.
func defaultMaxConn() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 4096
	}
	n := int(rl.Max)
	if rl.Max > 1<<20 {
		n = 1 << 20
	}
	return (n - 26) / 2
}

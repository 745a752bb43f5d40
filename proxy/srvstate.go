package proxy

import (
	"fmt"
	"net/netip"
	"time"

	"fulcrum/proxy/check"
)

func init() {
	// The daemon loads the state files these keywords name.
	actedKeywords["load-server-state-from-file"] = true
	actedKeywords["server-state-file-name"] = true
}

// ServerStateSource is where a backend's saved server states come from
// (`load-server-state-from-file`): nothing, the global file, or its own.
type ServerStateSource struct {
	Global bool
	// File is the path of the backend's own file (local); "" otherwise.
	File string
}

// SavedServerState is one server's line of a state file, decoded.
type SavedServerState struct {
	OpState     int // 0 stopped, 1 starting, 2 running, 3 stopping
	AdminFlags  int // SRV_ADMF_*
	UWeight     int
	IWeight     int
	SinceChange time.Duration
	CheckState  int // CHK_ST_*
	CheckStatus int // HCHK_STATUS_* of the last check
	Port        int // 0: keep the configured one
	// Addr is the saved address (invalid: none), used for a server
	// named by a host name whose init-addr tries `last` first.
	Addr netip.Addr
}

// LoadServerState applies a saved state to a server before the engine
// starts, as the reference does with its server state file: the
// operational state (health), the forced maintenance and drain unless
// the configuration's `disabled` changed since, the run-time weight if
// the configured one did not change, the port, and the time of the last
// change. Messages go to the engine's log.
func (e *Engine) LoadServerState(backendName, serverName string, st SavedServerState) error {
	b, s, err := e.lookup(backendName, serverName)
	if err != nil {
		return err
	}
	full := max(s.cfg.Rise, 1) + max(s.cfg.Fall, 1) - 1
	a := &s.state.admin
	// Operational state first.
	switch st.OpState {
	case 0:
		a.mu.Lock()
		a.health = 0
		a.mu.Unlock()
		s.state.health.Store(0)
		b.setServerUpWhy(s, false, "changed from server-state after a reload")
	case 2:
		a.mu.Lock()
		a.health = full
		a.mu.Unlock()
		s.state.health.Store(int64(full))
	}
	// Then maintenance: the configuration wins where its `disabled`
	// changed; otherwise the forced maintenance is restored or lifted.
	confMaint := s.cfg.Disabled
	fileConf := st.AdminFlags&admConfMaint != 0
	fileForced := st.AdminFlags&admForcedMaint != 0
	switch {
	case fileConf != confMaint && confMaint, fileConf == confMaint && fileForced && !confMaint:
		b.setAdminQuiet(s, a.flags|admForcedMaint)
	case fileConf != confMaint, fileConf == confMaint && !fileForced && confMaint:
		if a.maint() {
			if err := e.SetServerAdmin(backendName, serverName, AdminReady); err != nil {
				return err
			}
		}
	}
	b.mu.Lock()
	a.mu.Lock()
	inMaint := a.flags&admForcedMaint != 0
	// Drain, when the server is not in maintenance, unless it only came
	// from a configured weight of 0 that is not 0 any more.
	if !inMaint && st.AdminFlags&admForcedDrain != 0 && (st.IWeight > 0 || s.cfg.Weight == 0) {
		a.flags |= admForcedDrain
	}
	// The run-time weight, if the configured one is unchanged.
	if st.IWeight == s.cfg.Weight {
		s.uweight, a.uweight = st.UWeight, st.UWeight
	}
	a.lastChange = time.Now().Add(-st.SinceChange)
	drained := a.flags&admForcedDrain != 0
	// Checks disabled from the CLI stay disabled.
	if s.cfg.Check && st.CheckState&0x02 != 0 && st.CheckState&0x04 == 0 {
		a.checksOff = true
	}
	a.mu.Unlock()
	// The last check's status, until a check runs.
	for status, code := range hchkStatus {
		if code == st.CheckStatus && s.cfg.Check {
			h := &s.state.srvStats
			h.mu.Lock()
			h.last, h.hasResult = check.Result{Status: status}, true
			h.mu.Unlock()
		}
	}
	b.applyAdminLocked(s)
	act, bck := b.countUsableLocked()
	b.noteBackendHealth(act+bck > 0)
	b.mu.Unlock()
	if drained {
		e.logStillDrained(s)
	}
	addr := s.cfg.Addr.Addr()
	if s.cfg.AddrFromState && st.Addr.IsValid() {
		addr = st.Addr
	}
	port := s.cfg.Addr.Port()
	if st.Port > 0 {
		port = uint16(st.Port)
	}
	if s.cfg.Addr.IsValid() && netip.AddrPortFrom(addr, port) != s.cfg.Addr {
		if _, err := e.SetServerAddr(backendName, serverName, addr, port); err != nil {
			return err
		}
		a.mu.Lock()
		a.lastChange = time.Now().Add(-st.SinceChange)
		a.mu.Unlock()
	}
	return nil
}

// setAdminQuiet sets a server's admin flags without the messages of the
// Runtime API (a state restored at start).
func (b *backend) setAdminQuiet(s *server, flags int) {
	a := &s.state.admin
	b.mu.Lock()
	a.mu.Lock()
	old := a.flags
	a.flags = flags
	if flags&admForcedMaint != 0 && old&admForcedMaint == 0 {
		a.health = 0
	}
	a.mu.Unlock()
	b.applyAdminLocked(s)
	s.state.noteAdmin(old, flags, s.state.up.Load())
	act, bck := b.countUsableLocked()
	b.noteBackendHealth(act+bck > 0)
	b.mu.Unlock()
}

// logStillDrained says a drained server stays so after a weight change,
// as the reference does on every one.
func (e *Engine) logStillDrained(s *server) {
	kind := "Server"
	if s.cfg.Backup {
		kind = "Backup Server"
	}
	e.log(Warning, s.be.cfg.Name, fmt.Sprintf("%s %s remains in forced drain mode.", kind, s.id()))
}

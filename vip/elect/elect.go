// Package elect is the VRRP election state machine of one virtual router,
// with Keepalived 2.2.7's semantics. It owns no sockets, timers or
// addresses: it is fed events with the current time and answers with the
// actions its caller must carry out.
package elect

import (
	"fmt"
	"net/netip"
	"time"
)

// State is a VRRP instance state.
type State int

// States as Keepalived names them.
const (
	Init State = iota
	Backup
	Master
	Fault
	Stopped
)

func (s State) String() string {
	switch s {
	case Init:
		return "INIT"
	case Backup:
		return "BACKUP"
	case Master:
		return "MASTER"
	case Fault:
		return "FAULT"
	case Stopped:
		return "STOP"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Owner is the priority of the router owning the virtual addresses.
const Owner = 255

// Config is what the election needs to know about its instance.
type Config struct {
	Priority uint8         // configured (base) priority, 1-255
	Interval time.Duration // our advertisement interval
	// Version 3 scales the skew by the master's interval and learns the
	// master's interval from its adverts.
	Version int
	// Addr is our primary address, compared with the sender's when
	// priorities are equal.
	Addr netip.Addr
	// InitialMaster is `state MASTER` (or priority 255 without a state):
	// with priority 255 it makes the instance MASTER at once.
	InitialMaster bool
	NoPreempt     bool
	PreemptDelay  time.Duration
	// LowerPrioNoAdvert (implied by vrrp_strict): a master hearing a
	// lower priority does not answer at once.
	LowerPrioNoAdvert bool
}

// Kind is the kind of an Action.
type Kind int

// Action kinds, carried out in the order returned.
const (
	SendAdvert Kind = iota // advertise with Action.Priority
	AddVIPs
	RemoveVIPs
	SendGARP
	Notify   // run notify scripts for Action.State
	SetTimer // (re)arm the single timer at Action.At
	Log      // a log line in Keepalived's words: Action.Text
)

// Action is one thing the caller must do.
type Action struct {
	Kind     Kind
	Priority uint8     // SendAdvert
	State    State     // Notify
	At       time.Time // SetTimer
	Text     string    // Log
}

func (a Action) String() string {
	switch a.Kind {
	case SendAdvert:
		return fmt.Sprintf("advert(%d)", a.Priority)
	case AddVIPs:
		return "add-vips"
	case RemoveVIPs:
		return "remove-vips"
	case SendGARP:
		return "garp"
	case Notify:
		return "notify(" + a.State.String() + ")"
	case SetTimer:
		return "timer(" + a.At.Format("15:04:05.000") + ")"
	case Log:
		return "log(" + a.Text + ")"
	}
	return fmt.Sprintf("Action(%d)", int(a.Kind))
}

// Advert is what the machine needs from a received, validated
// advertisement.
type Advert struct {
	Src      netip.Addr
	Priority uint8
	Interval time.Duration
}

// Machine is the election of one virtual router. It is not safe for
// concurrent use; its caller serialises events.
type Machine struct {
	name         string
	cfg          Config
	state        State
	priority     uint8         // effective priority (base + track weights)
	masterAdvInt time.Duration // the master's interval (v3 learns it)
	deadline     time.Time     // the armed timer; zero when none
	preemptAt    time.Time     // preempt_delay: lower priority ignored until then
	faults       bool          // our own tracked objects failed
	groupFault   bool          // another member of our sync group is in FAULT
	masterAddr   netip.Addr
}

// New returns a machine in INIT. name prefixes log lines: "(VI_1) ...".
func New(name string, cfg Config) *Machine {
	if cfg.Version == 0 {
		cfg.Version = 2
	}
	return &Machine{name: name, cfg: cfg, state: Init, priority: cfg.Priority, masterAdvInt: cfg.Interval}
}

// State is the current state.
func (m *Machine) State() State { return m.state }

// Priority is the effective priority.
func (m *Machine) Priority() uint8 { return m.priority }

// Deadline is when the machine next wants Timer called (zero: never).
func (m *Machine) Deadline() time.Time { return m.deadline }

// MasterAddr is the address of the last master heard from in BACKUP.
func (m *Machine) MasterAddr() netip.Addr { return m.masterAddr }

// Skew is Skew_Time: (256 - priority) / 256 of the master's interval (of
// one second in version 2).
func (m *Machine) Skew() time.Duration {
	base := time.Second
	if m.cfg.Version == 3 {
		base = m.masterAdvInt
	}
	return base * time.Duration(256-int(m.priority)) / 256
}

// MasterDown is Master_Down_Interval: 3 x the master's interval + Skew_Time.
func (m *Machine) MasterDown() time.Duration { return 3*m.masterAdvInt + m.Skew() }

// Start leaves INIT: an address owner (255) whose initial state is MASTER
// becomes MASTER at once; anyone else (a non-owner with `state MASTER`, an
// owner with `state BACKUP`) waits in BACKUP for Master_Down_Interval, as
// the reference does.
func (m *Machine) Start(now time.Time) []Action {
	if m.state != Init {
		return nil
	}
	if m.faults || m.groupFault {
		return m.enterFault(now, nil)
	}
	if m.ownsAndWantsMaster() {
		return m.becomeMaster(now, nil)
	}
	return m.enterBackup(now, nil, m.cfg.Interval)
}

func (m *Machine) ownsAndWantsMaster() bool { return m.priority == Owner && m.cfg.InitialMaster }

func (m *Machine) log(acts []Action, format string, args ...any) []Action {
	return append(acts, Action{Kind: Log, Text: fmt.Sprintf("(%s) ", m.name) + fmt.Sprintf(format, args...)})
}

func (m *Machine) arm(acts []Action, at time.Time) []Action {
	m.deadline = at
	return append(acts, Action{Kind: SetTimer, At: at})
}

func (m *Machine) becomeMaster(now time.Time, acts []Action) []Action {
	m.state = Master
	m.preemptAt = time.Time{}
	m.masterAddr = netip.Addr{}
	acts = m.log(acts, "Entering MASTER STATE")
	acts = append(acts,
		Action{Kind: SendAdvert, Priority: m.priority},
		Action{Kind: AddVIPs},
		Action{Kind: SendGARP},
		Action{Kind: Notify, State: Master})
	return m.arm(acts, now.Add(m.cfg.Interval))
}

// enterBackup waits for Master_Down_Interval computed with the master's
// interval masterInt.
func (m *Machine) enterBackup(now time.Time, acts []Action, masterInt time.Duration) []Action {
	acts = m.log(acts, "Entering BACKUP STATE%s", m.initSuffix())
	m.state = Backup
	m.masterAdvInt = masterInt
	acts = append(acts, Action{Kind: Notify, State: Backup})
	return m.arm(acts, now.Add(m.MasterDown()))
}

// leaveMaster gives up the addresses (RemoveVIPs) when leaving MASTER.
func (m *Machine) leaveMaster(acts []Action) []Action {
	if m.state != Master {
		return acts
	}
	return append(acts, Action{Kind: RemoveVIPs})
}

// initSuffix marks the first state entered after INIT, as Keepalived's log
// does: "Entering BACKUP STATE (init)".
func (m *Machine) initSuffix() string {
	if m.state == Init {
		return " (init)"
	}
	return ""
}

func (m *Machine) enterFault(now time.Time, acts []Action) []Action {
	if m.state == Master {
		// Tell the backups at once instead of letting them time out.
		acts = append(acts, Action{Kind: SendAdvert, Priority: 0})
	}
	acts = m.leaveMaster(acts)
	acts = m.log(acts, "Entering FAULT STATE%s", m.initSuffix())
	m.state = Fault
	m.deadline = time.Time{}
	return append(acts, Action{Kind: Notify, State: Fault})
}

// Timer is called when the armed deadline passes. Calls before the deadline
// (a stale timer) do nothing.
func (m *Machine) Timer(now time.Time) []Action {
	if m.deadline.IsZero() || now.Before(m.deadline) {
		return nil
	}
	switch m.state {
	case Backup:
		return m.becomeMaster(now, m.log(nil, "Receive advertisement timeout"))
	case Master:
		return m.arm([]Action{{Kind: SendAdvert, Priority: m.priority}}, now.Add(m.cfg.Interval))
	}
	m.deadline = time.Time{}
	return nil
}

// Receive handles a validated advertisement for our VRID.
func (m *Machine) Receive(now time.Time, a Advert) []Action {
	switch m.state {
	case Backup:
		return m.backupReceive(now, a)
	case Master:
		return m.masterReceive(now, a)
	}
	return nil
}

func (m *Machine) backupReceive(now time.Time, a Advert) []Action {
	var acts []Action
	if m.cfg.Version == 3 && a.Interval > 0 && a.Interval != m.masterAdvInt {
		acts = m.log(acts, "advertisement interval updated from %dms to %dms by master",
			m.masterAdvInt.Milliseconds(), a.Interval.Milliseconds())
		m.masterAdvInt = a.Interval
	}
	if a.Priority == 0 {
		acts = m.log(acts, "Backup received priority 0 advertisement")
		return m.arm(acts, now.Add(m.Skew()))
	}
	delaying := m.cfg.PreemptDelay > 0 && (m.preemptAt.IsZero() || now.Before(m.preemptAt))
	if m.cfg.NoPreempt || a.Priority >= m.priority || delaying {
		if m.cfg.PreemptDelay > 0 {
			if a.Priority > m.priority {
				m.preemptAt = time.Time{}
			} else if m.preemptAt.IsZero() {
				m.preemptAt = now.Add(m.cfg.PreemptDelay)
			}
		}
		m.masterAddr = a.Src
		return m.arm(acts, now.Add(m.MasterDown()))
	}
	// Lower priority and we may preempt: let the timer run out.
	return m.log(acts, "received lower priority (%d) advert from %s - discarding", a.Priority, a.Src)
}

func (m *Machine) masterReceive(now time.Time, a Advert) []Action {
	switch {
	case a.Priority == 0:
		acts := m.log(nil, "Master received priority 0 message")
		acts = append(acts, Action{Kind: SendAdvert, Priority: m.priority})
		return m.arm(acts, now.Add(m.cfg.Interval))
	case a.Priority < m.priority && m.cfg.LowerPrioNoAdvert:
		return m.log(nil, "Received advert from %s with lower priority %d, ours %d", a.Src, a.Priority, m.priority)
	case a.Priority < m.priority:
		acts := m.log(nil, "Received advert from %s with lower priority %d, ours %d, forcing new election", a.Src, a.Priority, m.priority)
		acts = append(acts, Action{Kind: SendAdvert, Priority: m.priority})
		return m.arm(acts, now.Add(m.cfg.Interval))
	case a.Priority > m.priority:
		acts := m.log(nil, "Master received advert from %s with higher priority %d, ours %d", a.Src, a.Priority, m.priority)
		return m.yield(now, a, acts)
	case a.Src.Compare(m.cfg.Addr) > 0:
		acts := m.log(nil, "Master received advert from %s with same priority %d but higher IP address than ours", a.Src, a.Priority)
		return m.yield(now, a, acts)
	}
	// Equal priority from a lower address: we stay master.
	return nil
}

// yield makes a master that heard a better one BACKUP.
func (m *Machine) yield(now time.Time, a Advert, acts []Action) []Action {
	masterInt := m.cfg.Interval
	if m.cfg.Version == 3 && a.Interval > 0 {
		masterInt = a.Interval
	}
	acts = m.leaveMaster(acts)
	acts = m.enterBackup(now, acts, masterInt)
	m.masterAddr = a.Src
	return acts
}

// SetPriority changes the effective priority (track weights). An owner's
// priority never changes; others stay within 1-254.
func (m *Machine) SetPriority(p int) []Action {
	if m.cfg.Priority == Owner {
		return nil
	}
	p = min(max(p, 1), Owner-1)
	if uint8(p) == m.priority {
		return nil
	}
	// A master's next advertisement carries the new priority; a backup's
	// skew follows it from the next timer on.
	m.priority = uint8(p)
	return nil
}

// Reconfigure takes new settings (a reload) keeping the state, timers and
// effective priority; the caller sets the priority again with SetPriority.
func (m *Machine) Reconfigure(cfg Config) {
	if cfg.Version == 0 {
		cfg.Version = 2
	}
	m.cfg = cfg
}

// SetFault enters FAULT (a tracked interface or script failed) or leaves it.
func (m *Machine) SetFault(now time.Time, fault bool) []Action {
	was := m.faults || m.groupFault
	m.faults = fault
	return m.faultChanged(now, was)
}

// OwnFault reports whether our own tracked objects put us in FAULT (as
// opposed to our sync group).
func (m *Machine) OwnFault() bool { return m.faults }

// SetGroupFault enters FAULT because another member of our sync group did,
// or leaves it when none is in FAULT any more.
func (m *Machine) SetGroupFault(now time.Time, fault bool) []Action {
	was := m.faults || m.groupFault
	m.groupFault = fault
	return m.faultChanged(now, was)
}

// GroupMaster makes a BACKUP member MASTER because another member of its
// sync group became MASTER.
func (m *Machine) GroupMaster(now time.Time) []Action {
	if m.state != Backup {
		return nil
	}
	return m.becomeMaster(now, nil)
}

// GroupBackup makes a MASTER member BACKUP because another member of its
// sync group did.
func (m *Machine) GroupBackup(now time.Time) []Action {
	if m.state != Master {
		return nil
	}
	return m.enterBackup(now, m.leaveMaster(nil), m.cfg.Interval)
}

func (m *Machine) faultChanged(now time.Time, was bool) []Action {
	fault := m.faults || m.groupFault
	switch {
	case fault == was, m.state == Init || m.state == Stopped:
		return nil
	case fault:
		return m.enterFault(now, nil)
	case m.ownsAndWantsMaster():
		return m.becomeMaster(now, nil)
	}
	return m.enterBackup(now, nil, m.cfg.Interval)
}

// Stop ends the instance: a master sends one priority-0 advertisement so a
// backup takes over after Skew_Time, then gives up its addresses.
func (m *Machine) Stop(now time.Time) []Action {
	if m.state == Stopped {
		return nil
	}
	var acts []Action
	if m.state == Master {
		acts = append(acts, Action{Kind: SendAdvert, Priority: 0})
		acts = m.log(acts, "sent 0 priority")
	}
	acts = m.leaveMaster(acts)
	m.state = Stopped
	m.deadline = time.Time{}
	return append(acts, Action{Kind: Notify, State: Stopped})
}

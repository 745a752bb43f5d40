package vip

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"fulcrum/vip/elect"
)

// Counters are an instance's counters under the names of Keepalived's
// JSON dump (advert_rcvd, become_master, ...), as the SIGUSR2 stats dump
// and the JSON dump count them.
type Counters = jsonStats

// Snapshot is an instance's live state for status endpoints: what the
// JSON dump holds, read without stopping the instance.
type Snapshot struct {
	Name      string
	Interface string
	VRID      int
	State     elect.State
	// StateCode is Keepalived's number for State (0 INIT, 1 BACKUP,
	// 2 MASTER, 3 FAULT).
	StateCode         int
	Priority          int // configured
	EffectivePriority int // after tracking
	MasterPriority    int // the last master's priority heard (0 as MASTER)
	VIPs              []SnapshotVIP
	GARPDelay         time.Duration
	Counters          Counters
}

// SnapshotVIP is one virtual address and the device it goes on.
type SnapshotVIP struct {
	Prefix   netip.Prefix
	Dev      string
	Excluded bool // from virtual_ipaddress_excluded
}

// Snapshot reads the instance's state and counters.
func (i *Instance) Snapshot() Snapshot {
	d := i.jsonDump()
	s := Snapshot{Name: d.Data.Iname, Interface: d.Data.IfpIfname, VRID: d.Data.VRID, State: i.State(),
		StateCode: d.Data.State, Priority: d.Data.BasePriority, EffectivePriority: d.Data.EffectivePriority,
		MasterPriority: d.Data.MasterPriority, GARPDelay: time.Duration(d.Data.GARPDelay * float64(time.Second)),
		Counters: d.Stats}
	// i.vips holds the configuration's VIPs, then its excluded ones.
	for n, v := range i.vips {
		s.VIPs = append(s.VIPs, SnapshotVIP{Prefix: v.Prefix, Dev: v.Dev, Excluded: n >= len(i.cfg.VIPs)})
	}
	return s
}

// Snapshots reads every instance, in name order.
func (e *Engine) Snapshots() []Snapshot {
	var out []Snapshot
	for _, i := range e.Instances() {
		out = append(out, i.Snapshot())
	}
	return out
}

// ScriptStatus is the last result of a vrrp_script.
type ScriptStatus struct {
	Name string
	// Good is the script's own verdict (before any `reverse` of the
	// instances tracking it).
	Good bool
	// Running: a run of the script is under way (Keepalived's state
	// "running"; "idle" otherwise).
	Running bool
}

// Scripts reports the vrrp_scripts that have given a result, in name
// order.
func (x *Watcher) Scripts() []ScriptStatus {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []ScriptStatus
	for _, r := range x.running {
		if r.w.Kind != WatchScript {
			continue
		}
		r.mu.Lock()
		if r.reported {
			out = append(out, ScriptStatus{Name: r.w.Script.Name, Good: r.ok != r.w.Reverse, Running: r.running})
		}
		r.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b ScriptStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

package vip

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"fulcrum/vip/elect"
	"fulcrum/vip/notify"
	"fulcrum/vip/vaddr"
)

// Engine runs a daemon's VRRP instances and reloads them without flapping:
// an instance whose configuration did not change keeps running with its
// state and addresses.
type Engine struct {
	opt Options

	mu      sync.Mutex
	running map[string]*runningInstance

	rmu    sync.Mutex // guards byName, which mirrors running
	byName map[string]*Instance

	static *staticSet // static_ipaddress and static_routes in place

	gmu     sync.Mutex // guards groups; never held while waiting for an instance
	groups  map[string]*syncGroup
	scripts notify.Runner
}

// SyncGroup is a vrrp_sync_group: its members change state together.
type SyncGroup struct {
	Name    string
	Members []string // instance names
	Notify  notify.Scripts
}

type syncGroup struct {
	cfg       SyncGroup
	states    map[string]elect.State
	ownFaults map[string]bool
	state     elect.State // the state all members last agreed on
}

type runningInstance struct {
	cfg  Config
	inst *Instance
	done chan error
}

// NewEngine returns an engine with no instances; opt is given to each.
func NewEngine(opt Options) *Engine {
	e := &Engine{opt: opt, running: map[string]*runningInstance{}, byName: map[string]*Instance{}, groups: map[string]*syncGroup{}}
	e.scripts.Log = opt.Log
	return e
}

// Apply makes the running instances match cfgs: removed or changed ones stop
// (priority 0 and addresses released when MASTER), new or changed ones
// start, unchanged ones are not touched. Sockets open in the calling
// thread's network namespace.
func (e *Engine) Apply(cfgs []Config, groups []SyncGroup) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setGroups(groups)
	want := map[string]Config{}
	for _, c := range cfgs {
		if _, dup := want[c.Name]; dup {
			return fmt.Errorf("vrrp instance %s defined twice", c.Name)
		}
		want[c.Name] = c
	}
	for name, r := range e.running {
		c, ok := want[name]
		if ok && !reflect.DeepEqual(c, r.cfg) && softChange(r.cfg, c) {
			if err := r.inst.update(c); err == nil {
				r.cfg = c
				continue
			}
		}
		if !ok || !reflect.DeepEqual(c, r.cfg) {
			e.publish(name, nil)
			r.inst.Stop()
			<-r.done
			delete(e.running, name)
		}
	}
	var errs []error
	for _, c := range cfgs {
		if _, ok := e.running[c.Name]; ok {
			continue
		}
		inst, err := Open(c, e.opt)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		inst.groupHook = e.memberChanged
		r := &runningInstance{cfg: c, inst: inst, done: make(chan error, 1)}
		go func() { r.done <- inst.Run() }()
		e.running[c.Name] = r
		e.publish(c.Name, inst)
	}
	return errors.Join(errs...)
}

// Instances returns the running instances sorted by name.
func (e *Engine) Instances() []*Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*Instance
	for _, r := range e.running {
		out = append(out, r.inst)
	}
	slices.SortFunc(out, func(a, b *Instance) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// Instance returns the running instance called name, or nil.
func (e *Engine) Instance(name string) *Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.running[name]; r != nil {
		return r.inst
	}
	return nil
}

// Stop stops every instance gracefully and removes the static addresses
// and routes.
func (e *Engine) Stop() {
	_ = e.Apply(nil, nil)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.static != nil {
		e.static.remove(e.opt.Log)
		e.static = nil
	}
}

// staticSet is static_ipaddress and static_routes: held whatever the VRRP
// states, from SetStatic until Stop.
type staticSet struct {
	m      *vaddr.Manager
	addrs  []VIP
	routes []Route
}

// SetStatic installs static_ipaddress (addresses need their Dev) and
// static_routes, as the reference does at start; Stop removes them. A
// second call replaces the first set. It opens its netlink handle in the
// calling thread's namespace.
func (e *Engine) SetStatic(addrs []VIP, routes []Route) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.static != nil {
		e.static.remove(e.opt.Log)
		e.static = nil
	}
	m, err := vaddr.New()
	if err != nil {
		return err
	}
	s := &staticSet{m: m, addrs: addrs, routes: routes}
	var errs []error
	for _, a := range addrs {
		errs = append(errs, m.Add(a))
	}
	for _, r := range routes {
		errs = append(errs, m.AddRoute(r))
	}
	e.static = s
	return errors.Join(errs...)
}

func (s *staticSet) remove(log func(string)) {
	for _, r := range s.routes {
		if err := s.m.RemoveRoute(r); err != nil && log != nil {
			log(err.Error())
		}
	}
	for _, a := range s.addrs {
		if err := s.m.Remove(a); err != nil && log != nil {
			log(err.Error())
		}
	}
	s.m.Close()
}

func (e *Engine) setGroups(groups []SyncGroup) {
	e.gmu.Lock()
	defer e.gmu.Unlock()
	old := e.groups
	e.groups = map[string]*syncGroup{}
	for _, g := range groups {
		sg := &syncGroup{cfg: g, states: map[string]elect.State{}, ownFaults: map[string]bool{}}
		if o := old[g.Name]; o != nil {
			sg.states, sg.ownFaults, sg.state = o.states, o.ownFaults, o.state
		}
		e.groups[g.Name] = sg
	}
}

// groupOf returns the sync group instance name belongs to, or nil.
func (e *Engine) groupOf(name string) *syncGroup {
	for _, g := range e.groups {
		if slices.Contains(g.cfg.Members, name) {
			return g
		}
	}
	return nil
}

// memberChanged is called by a member instance on each state change and
// moves the other members with it: FAULT spreads to all (and is lifted when
// no member has its own fault), MASTER and the step from MASTER to BACKUP
// are followed. Decisions are handed to the members asynchronously, since
// each runs on its own goroutine.
func (e *Engine) memberChanged(name string, state elect.State, ownFault bool) {
	e.gmu.Lock()
	defer e.gmu.Unlock()
	g := e.groupOf(name)
	if g == nil {
		return
	}
	prev := g.states[name]
	g.states[name], g.ownFaults[name] = state, ownFault && state == elect.Fault
	anyFault := slices.Contains(slices.Collect(maps.Values(g.ownFaults)), true)
	var decide func(m *elect.Machine, now time.Time) []elect.Action
	switch {
	case state == elect.Fault && ownFault, prev == elect.Fault && !anyFault:
		// Decisions run later on other goroutines and may overtake one
		// another: each reads the group's fault state when it runs.
		decide = func(m *elect.Machine, now time.Time) []elect.Action { return m.SetGroupFault(now, e.groupFaulty(g)) }
	case state == elect.Master:
		decide = func(m *elect.Machine, now time.Time) []elect.Action { return m.GroupMaster(now) }
	case state == elect.Backup && prev == elect.Master:
		decide = func(m *elect.Machine, now time.Time) []elect.Action { return m.GroupBackup(now) }
	}
	if decide != nil {
		for _, member := range g.cfg.Members {
			if inst := e.instanceLocked(member); member != name && inst != nil {
				go inst.group(decide)
			}
		}
	}
	e.groupNotify(g)
}

// groupFaulty reports whether a member of g is in FAULT of its own.
func (e *Engine) groupFaulty(g *syncGroup) bool {
	e.gmu.Lock()
	defer e.gmu.Unlock()
	return slices.Contains(slices.Collect(maps.Values(g.ownFaults)), true)
}

// groupNotify runs the group's scripts when all members agree on a new
// state.
func (e *Engine) groupNotify(g *syncGroup) {
	var agreed elect.State
	for k, member := range g.cfg.Members {
		s, ok := g.states[member]
		if !ok || (k > 0 && s != agreed) {
			return
		}
		agreed = s
	}
	if agreed == g.state {
		return
	}
	g.state = agreed
	if e.opt.Log != nil && (agreed == elect.Master || agreed == elect.Backup || agreed == elect.Fault) {
		e.opt.Log(fmt.Sprintf("(%s) Syncing instances to %s state", g.cfg.Name, agreed))
	}
	e.scripts.Notify(g.cfg.Notify, "GROUP", g.cfg.Name, agreed.String(), 0)
	if e.opt.FIFO != nil {
		e.opt.FIFO.Write("GROUP", g.cfg.Name, agreed.String(), 0)
	}
}

// softChange reports whether b differs from a only in settings a running
// instance takes without restarting (and so without a flap): priority
// (not to or from 255), tracking, notifications, preemption, GARP timing.
func softChange(a, b Config) bool {
	if (a.Priority == 255) != (b.Priority == 255) {
		return false
	}
	for _, c := range []*Config{&a, &b} {
		c.Priority, c.Tracks, c.Notify = 0, nil, notify.Scripts{}
		c.NoPreempt, c.PreemptDelay = false, 0
		c.GARPDelay, c.GARPRepeat, c.GARPRefresh, c.GARPRefreshRepeat, c.GARPInterval, c.GNAInterval = 0, 0, 0, 0, 0, 0
	}
	return reflect.DeepEqual(a, b)
}

// publish records (or with nil forgets) the running instance called name.
func (e *Engine) publish(name string, inst *Instance) {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	if inst == nil {
		delete(e.byName, name)
	} else {
		e.byName[name] = inst
	}
}

// instanceLocked finds a running instance without taking e.mu, which Apply
// may hold while it waits for the very instance calling us.
func (e *Engine) instanceLocked(name string) *Instance {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	return e.byName[name]
}

package vip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"fulcrum/vip/elect"
	"fulcrum/vip/garp"
	"fulcrum/vip/notify"
	"fulcrum/vip/track"
	"fulcrum/vip/transport"
	"fulcrum/vip/vaddr"
	"fulcrum/vip/vmac"
	"fulcrum/vip/vrrp"
)

// Options are the instance's links to the world outside the engine.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives each log line in Keepalived's words; nil drops them.
	Log func(line string)
	// Notify is called on each state change, after the instance's notify
	// scripts were started; nil means none. It runs on the instance's
	// goroutine: keep it short.
	Notify func(name string, state elect.State, priority uint8)
	// FIFO is the global notify_fifo; nil for none.
	FIFO *notify.FIFO
}

// Stats are an instance's counters.
type Stats struct {
	State       elect.State
	Sent        uint64 // advertisements sent
	Received    uint64 // advertisements for our VRID accepted
	UnknownVRID uint64 // advertisements for other VRIDs, ignored
	// Reasons counts received advertisements per failed check
	// (vrrp.ReasonAddrList ones were still used).
	Reasons [vrrp.NumReasons]uint64

	BecameMaster, ReleasedMaster uint64
	PriorityZeroReceived         uint64
	PriorityZeroSent             uint64
}

// Instance runs one virtual router: election, advertisements, addresses.
type Instance struct {
	cfg   Config
	opt   Options
	m     *elect.Machine
	conn  *transport.Conn
	addrs *vaddr.Manager
	garps map[string]*garp.Sender
	vmac  *vmac.Link // use_vmac; nil without
	// unwatch stops watching the primary interface.
	unwatch context.CancelFunc
	// stopped is set by Stop: a stopped instance removes its virtual MAC
	// interface, an aborted one leaves it as a killed process would.
	stopped bool
	script  notify.Runner
	expect  vrrp.Expect
	vips    []VIP // with Dev filled in

	ctl     chan func(now time.Time) (acts []elect.Action, stop bool)
	quit    chan struct{} // closed when Run returns
	started atomic.Bool
	state   atomic.Int32

	sent, received, unknownVRID  atomic.Uint64
	becameMaster, releasedMaster atomic.Uint64
	pzReceived, pzSent           atomic.Uint64
	// For the dumps: the last master's priority heard (0 as MASTER), the
	// effective priority and the time of the last state change (ns).
	masterPriority, effectivePriority atomic.Int32
	lastTransition                    atomic.Int64
	reasons                           [vrrp.NumReasons]atomic.Uint64

	// groupHook, set by the Engine before Run, tells the instance's sync
	// group about each state change.
	groupHook func(name string, state elect.State, ownFault bool)

	// Owned by Run's goroutine.
	trackOK     map[string]bool
	trackValues map[string]int
	garpAt      time.Time // next burst of gratuitous ARPs; zero for none
	garpRefresh bool      // that burst is a garp_master_refresh one
}

// Open validates cfg and opens what the instance needs: its VRRP socket,
// a netlink handle and packet sockets for gratuitous ARP. Call it inside
// the network namespace the instance is for; everything opened stays
// there, so Run may be called from anywhere.
func Open(cfg Config, opt Options) (_ *Instance, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = func(string) {}
	}
	i := &Instance{cfg: cfg, opt: opt, garps: map[string]*garp.Sender{}, trackOK: map[string]bool{}, trackValues: map[string]int{},
		script: notify.Runner{Log: opt.Log},
		ctl:    make(chan func(time.Time) ([]elect.Action, bool)), quit: make(chan struct{})}
	defer func() {
		if err != nil {
			i.stopped = true // undo everything, the virtual MAC too
			i.close()
		}
	}()
	vipDev, sendDev, src := cfg.Interface, cfg.Interface, cfg.SrcAddr
	if cfg.UseVMAC {
		name := cfg.VMACName
		if name == "" {
			name = vmac.DefaultName(cfg.VRID)
		}
		if !src.IsValid() {
			// The macvlan has no address of its own: advertise from the
			// base interface's.
			base, err := net.InterfaceByName(cfg.Interface)
			if err != nil {
				return nil, err
			}
			if src, err = transport.PrimaryAddr(base, cfg.IPv6()); err != nil {
				return nil, err
			}
		}
		if i.vmac, err = vmac.Ensure(name, cfg.Interface, cfg.VRID, cfg.IPv6()); err != nil {
			return nil, err
		}
		vipDev = name
		if !cfg.VMACXmitBase {
			sendDev = name
		}
	}
	if i.conn, err = transport.Listen(transport.Config{Interface: sendDev, IPv6: cfg.IPv6(), Src: src,
		Group: cfg.McastGroup, Peers: cfg.UnicastPeers, TTL: cfg.UnicastTTL}); err != nil {
		return nil, err
	}
	if i.addrs, err = vaddr.New(); err != nil {
		return nil, err
	}
	for _, v := range slices.Concat(cfg.VIPs, cfg.ExcludedVIPs) {
		if v.Dev == "" {
			v.Dev = vipDev
		}
		i.vips = append(i.vips, v)
		if i.garps[v.Dev] == nil {
			if i.garps[v.Dev], err = garp.Open(v.Dev); err != nil {
				return nil, err
			}
		}
	}
	var addrs []netip.Addr
	for _, v := range cfg.VIPs {
		addrs = append(addrs, v.Prefix.Addr())
	}
	i.expect = vrrp.Expect{Name: cfg.Name, Version: cfg.Version, AuthType: cfg.AuthType,
		AuthData: vrrp.Password(cfg.AuthPass), Interval: cfg.Interval, Unicast: i.conn.Unicast(),
		Addrs: addrs, SkipAddrCheck: cfg.SkipCheckAdvAddr, Strict: cfg.Strict}
	if cfg.Version == 3 || cfg.Strict {
		i.expect.AuthType, i.expect.AuthData = vrrp.AuthNone, [8]byte{}
	}
	if !cfg.DontTrackPrimary {
		if err := i.trackPrimary(); err != nil {
			return nil, err
		}
	}
	i.m = elect.New(cfg.Name, i.electConfig())
	return i, nil
}

// electConfig is what the election needs from the configuration.
func (i *Instance) electConfig() elect.Config {
	c := &i.cfg
	return elect.Config{Priority: c.Priority, Interval: c.Interval, Version: c.Version, Addr: i.conn.Src(),
		InitialMaster: c.InitialMaster, NoPreempt: c.NoPreempt, PreemptDelay: c.PreemptDelay, LowerPrioNoAdvert: c.Strict}
}

// primaryTrack names the instance's own interface among its tracked
// objects; the NUL keeps it apart from any configured name.
const primaryTrack = "\x00primary"

// trackPrimary watches the instance's interface: down means FAULT, like a
// track_interface of weight 0.
func (i *Instance) trackPrimary() error {
	i.cfg.Tracks = append(slices.Clip(i.cfg.Tracks), Track{Name: primaryTrack})
	ctx, cancel := context.WithCancel(context.Background())
	i.unwatch = cancel
	return track.WatchLinks(ctx, []string{i.cfg.Interface}, func(name string, up bool) {
		state := map[bool]string{true: "up", false: "down"}[up]
		i.opt.Log(fmt.Sprintf("Netlink reports %s %s", name, state))
		i.SetTracked(primaryTrack, up)
	})
}

func (i *Instance) close() {
	if i.unwatch != nil {
		i.unwatch()
	}
	if i.conn != nil {
		i.conn.Close()
	}
	for _, g := range i.garps {
		g.Close()
	}
	if i.addrs != nil {
		i.addrs.Close()
	}
	switch {
	case i.vmac != nil && i.stopped:
		if err := i.vmac.Remove(); err != nil {
			i.opt.Log(fmt.Sprintf("(%s) %v", i.cfg.Name, err))
		}
	case i.vmac != nil:
		i.vmac.Close()
	}
}

// Name is the instance's name.
func (i *Instance) Name() string { return i.cfg.Name }

// State is the current state.
func (i *Instance) State() elect.State { return elect.State(i.state.Load()) }

// Stats returns the counters.
func (i *Instance) Stats() Stats {
	s := Stats{State: i.State(), Sent: i.sent.Load(), Received: i.received.Load(), UnknownVRID: i.unknownVRID.Load(),
		BecameMaster: i.becameMaster.Load(), ReleasedMaster: i.releasedMaster.Load(),
		PriorityZeroReceived: i.pzReceived.Load(), PriorityZeroSent: i.pzSent.Load()}
	for r := range s.Reasons {
		s.Reasons[r] = i.reasons[r].Load()
	}
	return s
}

// ErrStopped is returned by calls on an instance that no longer runs.
var ErrStopped = errors.New("vrrp instance stopped")

// Run runs the instance until Stop or Abort. It returns nil after Stop.
func (i *Instance) Run() error {
	if !i.started.CompareAndSwap(false, true) {
		return errors.New("vrrp instance already started")
	}
	defer func() {
		close(i.quit)
		i.close()
	}()
	pkts := make(chan vrrp.Received)
	readErr := make(chan error, 1)
	go i.read(pkts, readErr)

	timer := time.NewTimer(time.Hour)
	garpTimer := time.NewTimer(time.Hour)
	defer timer.Stop()
	defer garpTimer.Stop()
	rearm := func() {
		timer.Stop()
		if d := i.m.Deadline(); !d.IsZero() {
			timer.Reset(max(d.Sub(i.opt.Now()), 0))
		}
		garpTimer.Stop()
		if !i.garpAt.IsZero() {
			garpTimer.Reset(max(i.garpAt.Sub(i.opt.Now()), 0))
		}
	}

	prio, fault := effectivePriority(i.cfg.Priority, i.cfg.Tracks, i.trackOK, i.trackValues)
	now := i.opt.Now()
	i.m.SetPriority(prio)
	i.m.SetFault(now, fault)
	i.apply(i.m.Start(now))
	rearm()
	for {
		select {
		case r := <-pkts:
			i.receive(r)
		case err := <-readErr:
			// The socket is gone (Abort): stop as a killed process does,
			// leaving the addresses where they are.
			return fmt.Errorf("(%s) %w", i.cfg.Name, err)
		case <-timer.C:
			i.apply(i.m.Timer(i.opt.Now()))
		case <-garpTimer.C:
			i.garpAt = time.Time{}
			if i.m.State() == elect.Master {
				if i.garpRefresh {
					i.sendGARP(i.cfg.GARPRefreshRepeat)
				} else {
					i.sendGARP(i.cfg.GARPRepeat)
				}
				i.scheduleRefresh()
			}
		case f := <-i.ctl:
			acts, stop := f(i.opt.Now())
			i.apply(acts)
			if stop {
				return nil
			}
		}
		rearm()
	}
}

func (i *Instance) read(pkts chan<- vrrp.Received, errc chan<- error) {
	for {
		buf := make([]byte, 1500)
		r, err := i.conn.Receive(buf)
		if err != nil {
			errc <- err
			return
		}
		select {
		case pkts <- r:
		case <-i.quit:
			return
		}
	}
}

func (i *Instance) receive(r vrrp.Received) {
	if id, ok := vrrp.VRID(r.Msg); ok && id != i.cfg.VRID {
		i.unknownVRID.Add(1)
		return
	}
	p, reason, line := vrrp.Check(&i.expect, r)
	if reason != vrrp.ReasonNone {
		i.reasons[reason].Add(1)
		i.opt.Log(line)
		if reason.Drops() {
			return
		}
	}
	i.received.Add(1)
	if i.m.State() != elect.Master {
		i.masterPriority.Store(int32(p.Priority))
	}
	if p.Priority == 0 {
		i.pzReceived.Add(1)
	}
	i.apply(i.m.Receive(i.opt.Now(), elect.Advert{Src: r.Src, Priority: p.Priority, Interval: p.Interval}))
}

// apply carries out the machine's actions in order.
func (i *Instance) apply(acts []elect.Action) {
	for _, a := range acts {
		switch a.Kind {
		case elect.SendAdvert:
			if err := i.advertise(a.Priority); err != nil {
				i.opt.Log(fmt.Sprintf("(%s) Cant send advert (%v)", i.cfg.Name, err))
			}
		case elect.AddVIPs:
			i.opt.Log(fmt.Sprintf("(%s) setting VIPs.", i.cfg.Name))
			i.eachVIP(i.addrs.Add)
			i.eachRoute(i.addrs.AddRoute)
			each(i, i.cfg.Rules, i.addrs.AddRule)
		case elect.RemoveVIPs:
			i.releasedMaster.Add(1)
			i.garpAt = time.Time{}
			i.opt.Log(fmt.Sprintf("(%s) removing VIPs.", i.cfg.Name))
			each(i, i.cfg.Rules, i.addrs.RemoveRule)
			i.eachRoute(i.addrs.RemoveRoute)
			i.eachVIP(i.addrs.Remove)
		case elect.SendGARP:
			i.sendGARP(i.cfg.GARPRepeat)
			if i.cfg.GARPDelay > 0 {
				i.garpAt, i.garpRefresh = i.opt.Now().Add(i.cfg.GARPDelay), false
			} else {
				i.scheduleRefresh()
			}
		case elect.Notify:
			if a.State == elect.Master {
				i.becameMaster.Add(1)
			}
			i.notify(a.State)
		case elect.Log:
			i.opt.Log(a.Text)
		}
	}
	if st := int32(i.m.State()); i.state.Swap(st) != st {
		i.lastTransition.Store(i.opt.Now().UnixNano())
		if i.m.State() == elect.Master {
			i.masterPriority.Store(0)
		}
	}
	i.effectivePriority.Store(int32(i.m.Priority()))
}

// notify runs the notify scripts, writes the notify_fifo line and calls
// the Notify hook.
func (i *Instance) notify(state elect.State) {
	prio := int(i.m.Priority())
	i.script.Notify(i.cfg.Notify, "INSTANCE", i.cfg.Name, state.String(), prio)
	if i.opt.FIFO != nil {
		if err := i.opt.FIFO.Write("INSTANCE", i.cfg.Name, state.String(), prio); err != nil {
			i.opt.Log(fmt.Sprintf("(%s) notify_fifo: %v", i.cfg.Name, err))
		}
	}
	if i.opt.Notify != nil {
		i.opt.Notify(i.cfg.Name, state, uint8(prio))
	}
	if i.groupHook != nil {
		i.groupHook(i.cfg.Name, state, i.m.OwnFault())
	}
}

// group applies a sync group's decision on Run's goroutine.
func (i *Instance) group(f func(m *elect.Machine, now time.Time) []elect.Action) error {
	return i.do(func(now time.Time) ([]elect.Action, bool) { return f(i.m, now), false })
}

func (i *Instance) eachVIP(f func(vaddr.VIP) error) {
	for _, v := range i.vips {
		if err := f(v); err != nil {
			i.opt.Log(fmt.Sprintf("(%s) %v", i.cfg.Name, err))
		}
	}
}

func (i *Instance) eachRoute(f func(vaddr.Route) error) { each(i, i.cfg.Routes, f) }

// each applies f to every item, logging failures.
func each[T any](i *Instance, items []T, f func(T) error) {
	for _, it := range items {
		if err := f(it); err != nil {
			i.opt.Log(fmt.Sprintf("(%s) %v", i.cfg.Name, err))
		}
	}
}

func (i *Instance) advertise(prio uint8) error {
	p := vrrp.Packet{Version: i.cfg.Version, VRID: i.cfg.VRID, Priority: prio, Interval: i.cfg.Interval,
		Addrs: i.expect.Addrs, AuthType: i.expect.AuthType, AuthData: i.expect.AuthData}
	var errs []error
	for _, dst := range i.conn.Destinations() {
		msg, err := p.Marshal(i.conn.Src(), dst)
		if err == nil {
			err = i.conn.Send(dst, msg)
		}
		if err == nil {
			i.sent.Add(1)
			if prio == 0 {
				i.pzSent.Add(1)
			}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// scheduleRefresh arms the next garp_master_refresh burst, if any.
func (i *Instance) scheduleRefresh() {
	if i.cfg.GARPRefresh > 0 {
		i.garpAt, i.garpRefresh = i.opt.Now().Add(i.cfg.GARPRefresh), true
	}
}

// sendGARP announces every address count times: gratuitous ARPs for IPv4,
// unsolicited neighbour advertisements for IPv6.
func (i *Instance) sendGARP(count int) {
	for _, v := range i.vips {
		i.opt.Log(fmt.Sprintf("(%s) Sending/queueing gratuitous ARPs on %s for %s", i.cfg.Name, v.Dev, v.Prefix.Addr()))
	}
	pause := i.cfg.GARPInterval
	if i.cfg.IPv6() {
		pause = i.cfg.GNAInterval
	}
	for n := range max(count, 1) {
		if n > 0 && pause > 0 {
			time.Sleep(pause)
		}
		for _, v := range i.vips {
			if err := i.garps[v.Dev].Send(v.Prefix.Addr()); err != nil {
				i.opt.Log(fmt.Sprintf("(%s) %v", i.cfg.Name, err))
			}
		}
	}
}

// do runs f on Run's goroutine and waits until it has been handed over.
func (i *Instance) do(f func(now time.Time) ([]elect.Action, bool)) error {
	select {
	case i.ctl <- f:
		return nil
	case <-i.quit:
		return ErrStopped
	}
}

// SetTracked records whether the tracked object name succeeds; the
// priority and FAULT state follow from the weights.
func (i *Instance) SetTracked(name string, ok bool) error {
	return i.retrack(func() { i.trackOK[name] = ok })
}

// SetTrackedValue records the number a tracked file holds.
func (i *Instance) SetTrackedValue(name string, value int) error {
	return i.retrack(func() { i.trackValues[name] = value })
}

func (i *Instance) retrack(record func()) error {
	return i.do(func(now time.Time) ([]elect.Action, bool) {
		record()
		prio, fault := effectivePriority(i.cfg.Priority, i.cfg.Tracks, i.trackOK, i.trackValues)
		if old := int(i.m.Priority()); old != prio {
			i.opt.Log(fmt.Sprintf("(%s) Changing effective priority from %d to %d", i.cfg.Name, old, prio))
		}
		return append(i.m.SetPriority(prio), i.m.SetFault(now, fault)...), false
	})
}

// update takes a configuration that differs only in what softChange
// allows, keeping the state and addresses.
func (i *Instance) update(cfg Config) error {
	return i.do(func(now time.Time) ([]elect.Action, bool) {
		if !cfg.DontTrackPrimary {
			cfg.Tracks = append(slices.Clip(cfg.Tracks), Track{Name: primaryTrack})
		}
		i.cfg = cfg
		i.m.Reconfigure(i.electConfig())
		prio, fault := effectivePriority(cfg.Priority, cfg.Tracks, i.trackOK, i.trackValues)
		if old := int(i.m.Priority()); old != prio {
			i.opt.Log(fmt.Sprintf("(%s) Changing effective priority from %d to %d", cfg.Name, old, prio))
		}
		return append(i.m.SetPriority(prio), i.m.SetFault(now, fault)...), false
	})
}

// Stop ends the instance gracefully: as MASTER it sends a priority-0
// advertisement and removes its addresses. It waits until Run returned.
func (i *Instance) Stop() error {
	if i.neverRan() {
		return nil
	}
	err := i.do(func(now time.Time) ([]elect.Action, bool) {
		i.stopped = true
		return i.m.Stop(now), true
	})
	<-i.quit
	return err
}

// neverRan releases an instance whose Run was never called, and then keeps
// Run from starting.
func (i *Instance) neverRan() bool {
	if !i.started.CompareAndSwap(false, true) {
		return false
	}
	close(i.quit)
	i.stopped = true
	i.close()
	return true
}

// Abort ends the instance the way SIGKILL ends Keepalived: no priority-0
// advertisement and the addresses stay configured. It waits until Run
// returned.
func (i *Instance) Abort() {
	if i.neverRan() {
		return
	}
	i.conn.Close()
	<-i.quit
}

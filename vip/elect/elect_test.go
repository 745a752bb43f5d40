package elect

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t0    = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	us    = netip.MustParseAddr("10.0.0.2")
	lower = netip.MustParseAddr("10.0.0.1")
	upper = netip.MustParseAddr("10.0.0.3")
)

// step is one event at a time offset from t0 and what must follow.
type step struct {
	at    time.Duration
	ev    string // start, timer, advert, fault, clear, prio, stop
	adv   Advert
	prio  int
	want  string // the actions, logs left out, timers relative to t0
	state State
	log   string // a log line that must be among the actions
}

func adv(src netip.Addr, prio uint8) Advert {
	return Advert{Src: src, Priority: prio, Interval: time.Second}
}

func render(acts []Action) string {
	var out []string
	for _, a := range acts {
		switch a.Kind {
		case Log:
		case SetTimer:
			out = append(out, "timer(+"+a.At.Sub(t0).String()+")")
		default:
			out = append(out, a.String())
		}
	}
	return strings.Join(out, " ")
}

const becomeMaster = "add-vips garp notify(MASTER)"

func TestMachine(t *testing.T) {
	v2 := Config{Priority: 100, Interval: time.Second, Version: 2, Addr: us}
	with := func(f func(c *Config)) Config { c := v2; f(&c); return c }
	owner := with(func(c *Config) { c.Priority, c.InitialMaster = 255, true })
	for _, tc := range []struct {
		desc  string
		cfg   Config
		steps []step
	}{
		{"backup waits Master_Down then becomes master", v2, []step{
			// 3 x 1s + (256-100)/256 s = 3.609375s, the reference's 3.609.
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup, log: "(VI_1) Entering BACKUP STATE (init)"},
			{at: 3 * time.Second, ev: "timer", want: "", state: Backup},
			{at: 3609375 * time.Microsecond, ev: "timer", want: "advert(100) " + becomeMaster + " timer(+4.609375s)", state: Master,
				log: "(VI_1) Entering MASTER STATE"},
			{at: 4609375 * time.Microsecond, ev: "timer", want: "advert(100) timer(+5.609375s)", state: Master},
		}},
		{"priority 150 waits 3.414s like the observed reference", with(func(c *Config) { c.Priority = 150 }), []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.4140625s)", state: Backup},
		}},
		{"owner with state MASTER becomes master at once", owner, []step{
			{ev: "start", want: "advert(255) " + becomeMaster + " timer(+1s)", state: Master},
		}},
		{"owner with state BACKUP waits Master_Down like the reference", with(func(c *Config) { c.Priority = 255 }), []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.00390625s)", state: Backup},
		}},
		{"owner ignores track weights", owner, []step{
			{ev: "prio", prio: 10, want: "", state: Init},
			{ev: "start", want: "advert(255) " + becomeMaster + " timer(+1s)", state: Master},
		}},
		{"backup: higher priority restarts the timer", v2, []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: 2 * time.Second, ev: "advert", adv: adv(upper, 150), want: "timer(+5.609375s)", state: Backup},
		}},
		{"backup: equal priority restarts the timer", v2, []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "advert", adv: adv(lower, 100), want: "timer(+4.609375s)", state: Backup},
		}},
		{"backup: lower priority is discarded when preempting", v2, []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "advert", adv: adv(upper, 50), want: "", state: Backup,
				log: "(VI_1) received lower priority (50) advert from 10.0.0.3 - discarding"},
			{at: 3609375 * time.Microsecond, ev: "timer", want: "advert(100) " + becomeMaster + " timer(+4.609375s)", state: Master},
		}},
		{"nopreempt: lower priority master is kept", with(func(c *Config) { c.NoPreempt = true }), []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "advert", adv: adv(upper, 50), want: "timer(+4.609375s)", state: Backup},
			{at: 2 * time.Second, ev: "advert", adv: adv(upper, 50), want: "timer(+5.609375s)", state: Backup},
		}},
		{"preempt_delay: lower priority kept until the delay passed", with(func(c *Config) { c.PreemptDelay = 5 * time.Second }), []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "advert", adv: adv(upper, 50), want: "timer(+4.609375s)", state: Backup},
			{at: 4 * time.Second, ev: "advert", adv: adv(upper, 50), want: "timer(+7.609375s)", state: Backup},
			{at: 6 * time.Second, ev: "advert", adv: adv(upper, 50), want: "", state: Backup},
			{at: 7609375 * time.Microsecond, ev: "timer", want: "advert(100) " + becomeMaster + " timer(+8.609375s)", state: Master},
		}},
		{"preempt_delay restarts after a higher priority master", with(func(c *Config) { c.PreemptDelay = 5 * time.Second }), []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "advert", adv: adv(upper, 50), want: "timer(+4.609375s)", state: Backup},
			{at: 2 * time.Second, ev: "advert", adv: adv(upper, 200), want: "timer(+5.609375s)", state: Backup},
			{at: 7 * time.Second, ev: "advert", adv: adv(upper, 50), want: "timer(+10.609375s)", state: Backup},
		}},
		{"backup: priority 0 takes over after skew", v2, []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "advert", adv: adv(upper, 200), want: "timer(+4.609375s)", state: Backup},
			{at: 2 * time.Second, ev: "advert", adv: adv(upper, 0), want: "timer(+2.609375s)", state: Backup,
				log: "(VI_1) Backup received priority 0 advertisement"},
			{at: 2609375 * time.Microsecond, ev: "timer", want: "advert(100) " + becomeMaster + " timer(+3.609375s)", state: Master},
		}},
		{"master: higher priority makes it backup", v2, []step{
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.609375s)"},
			{at: 3609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(100) " + becomeMaster + " timer(+4.609375s)"},
			{at: 4 * time.Second, ev: "advert", adv: adv(lower, 101), state: Backup, want: "remove-vips notify(BACKUP) timer(+7.609375s)",
				log: "(VI_1) Master received advert from 10.0.0.1 with higher priority 101, ours 100"},
		}},
		{"master: equal priority from a higher address makes it backup", v2, []step{
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.609375s)"},
			{at: 3609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(100) " + becomeMaster + " timer(+4.609375s)"},
			{at: 4 * time.Second, ev: "advert", adv: adv(upper, 100), state: Backup, want: "remove-vips notify(BACKUP) timer(+7.609375s)",
				log: "(VI_1) Master received advert from 10.0.0.3 with same priority 100 but higher IP address than ours"},
		}},
		{"master: equal priority from a lower address is ignored", v2, []step{
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.609375s)"},
			{at: 3609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(100) " + becomeMaster + " timer(+4.609375s)"},
			{at: 4 * time.Second, ev: "advert", adv: adv(lower, 100), state: Master, want: ""},
		}},
		{"master: lower priority makes it advertise at once", v2, []step{
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.609375s)"},
			{at: 3609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(100) " + becomeMaster + " timer(+4.609375s)"},
			{at: 4 * time.Second, ev: "advert", adv: adv(upper, 99), state: Master, want: "advert(100) timer(+5s)",
				log: "(VI_1) Received advert from 10.0.0.3 with lower priority 99, ours 100, forcing new election"},
		}},
		{"master: lower priority ignored with lower_prio_no_advert", with(func(c *Config) { c.LowerPrioNoAdvert = true }), []step{
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.609375s)"},
			{at: 3609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(100) " + becomeMaster + " timer(+4.609375s)"},
			{at: 4 * time.Second, ev: "advert", adv: adv(upper, 99), state: Master, want: "",
				log: "(VI_1) Received advert from 10.0.0.3 with lower priority 99, ours 100"},
		}},
		{"master: priority 0 makes it advertise at once", v2, []step{
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.609375s)"},
			{at: 3609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(100) " + becomeMaster + " timer(+4.609375s)"},
			{at: 4 * time.Second, ev: "advert", adv: adv(upper, 0), state: Master, want: "advert(100) timer(+5s)",
				log: "(VI_1) Master received priority 0 message"},
		}},
		{"stop as master sends priority 0 then releases", owner, []step{
			{ev: "start", want: "advert(255) " + becomeMaster + " timer(+1s)", state: Master},
			{at: 500 * time.Millisecond, ev: "stop", want: "advert(0) remove-vips notify(STOP)", state: Stopped},
			{at: time.Second, ev: "timer", want: "", state: Stopped},
			{at: time.Second, ev: "advert", adv: adv(upper, 100), want: "", state: Stopped},
		}},
		{"stop as backup sends nothing", v2, []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "stop", want: "notify(STOP)", state: Stopped},
		}},
		{"fault as master", owner, []step{
			{ev: "start", want: "advert(255) " + becomeMaster + " timer(+1s)", state: Master},
			{at: 500 * time.Millisecond, ev: "fault", want: "advert(0) remove-vips notify(FAULT)", state: Fault,
				log: "(VI_1) Entering FAULT STATE"},
			{at: time.Second, ev: "timer", want: "", state: Fault},
			{at: time.Second, ev: "advert", adv: adv(upper, 100), want: "", state: Fault},
			{at: 2 * time.Second, ev: "clear", want: "advert(255) " + becomeMaster + " timer(+3s)", state: Master},
		}},
		{"fault before start, cleared to backup", v2, []step{
			{ev: "fault", want: "", state: Init},
			{ev: "start", want: "notify(FAULT)", state: Fault, log: "(VI_1) Entering FAULT STATE (init)"},
			{at: time.Second, ev: "clear", want: "notify(BACKUP) timer(+4.609375s)", state: Backup},
		}},
		{"sync group: forced master and back", v2, []step{
			{ev: "start", want: "notify(BACKUP) timer(+3.609375s)", state: Backup},
			{at: time.Second, ev: "group-master", want: "advert(100) " + becomeMaster + " timer(+2s)", state: Master},
			{at: time.Second, ev: "group-master", want: "", state: Master},
			{at: 2 * time.Second, ev: "group-backup", want: "remove-vips notify(BACKUP) timer(+5.609375s)", state: Backup},
			{at: 2 * time.Second, ev: "group-backup", want: "", state: Backup},
		}},
		{"sync group fault and own fault overlap", owner, []step{
			{ev: "start", want: "advert(255) " + becomeMaster + " timer(+1s)", state: Master},
			{ev: "group-fault", want: "advert(0) remove-vips notify(FAULT)", state: Fault},
			{ev: "fault", want: "", state: Fault},
			{ev: "group-clear", want: "", state: Fault},
			{ev: "clear", want: "advert(255) " + becomeMaster + " timer(+1s)", state: Master},
		}},
		{"track weight lowers the priority a master advertises", v2, []step{
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.609375s)"},
			{at: 3609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(100) " + becomeMaster + " timer(+4.609375s)"},
			{at: 4 * time.Second, ev: "prio", prio: 80, state: Master, want: ""},
			{at: 4609375 * time.Microsecond, ev: "timer", state: Master, want: "advert(80) timer(+5.609375s)"},
			{at: 5 * time.Second, ev: "advert", adv: adv(lower, 90), state: Backup, want: "remove-vips notify(BACKUP) timer(+8.6875s)"},
		}},
		{"track weight is clamped to 1-254", v2, []step{
			{ev: "prio", prio: 400, state: Init, want: ""},
			{ev: "start", state: Backup, want: "notify(BACKUP) timer(+3.0078125s)"},
			{ev: "prio", prio: -5, state: Backup, want: ""},
		}},
		{"v3: skew scales with the interval and the master's interval is learnt",
			Config{Priority: 100, Interval: 500 * time.Millisecond, Version: 3, Addr: us}, []step{
				// 3 x 0.5s + 156/256 x 0.5s
				{ev: "start", want: "notify(BACKUP) timer(+1.8046875s)", state: Backup},
				{at: time.Second, ev: "advert", adv: Advert{Src: upper, Priority: 200, Interval: 2 * time.Second},
					want: "timer(+8.21875s)", state: Backup, log: "(VI_1) advertisement interval updated from 500ms to 2000ms by master"},
				{at: 2 * time.Second, ev: "advert", adv: Advert{Src: upper, Priority: 0, Interval: 2 * time.Second},
					want: "timer(+3.21875s)", state: Backup},
			}},
		{"v3 master yielding waits with the new master's interval",
			Config{Priority: 255, InitialMaster: true, Interval: 500 * time.Millisecond, Version: 3, Addr: lower}, []step{
				{ev: "start", want: "advert(255) " + becomeMaster + " timer(+500ms)", state: Master},
				{at: 100 * time.Millisecond, ev: "advert", adv: Advert{Src: upper, Priority: 255, Interval: time.Second},
					want: "remove-vips notify(BACKUP) timer(+3.10390625s)", state: Backup},
			}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			m := New("VI_1", tc.cfg)
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				var acts []Action
				switch s.ev {
				case "start":
					acts = m.Start(now)
				case "timer":
					acts = m.Timer(now)
				case "advert":
					acts = m.Receive(now, s.adv)
				case "fault":
					acts = m.SetFault(now, true)
				case "clear":
					acts = m.SetFault(now, false)
				case "group-fault":
					acts = m.SetGroupFault(now, true)
				case "group-clear":
					acts = m.SetGroupFault(now, false)
				case "group-master":
					acts = m.GroupMaster(now)
				case "group-backup":
					acts = m.GroupBackup(now)
				case "prio":
					acts = m.SetPriority(s.prio)
				case "stop":
					acts = m.Stop(now)
				default:
					t.Fatalf("step %d: unknown event %q", i, s.ev)
				}
				if got := render(acts); got != s.want {
					t.Fatalf("step %d (%s at +%v): actions\n  %s\nwant\n  %s", i, s.ev, s.at, got, s.want)
				}
				if m.State() != s.state {
					t.Fatalf("step %d (%s): state %v, want %v", i, s.ev, m.State(), s.state)
				}
				if s.log != "" && !slices.ContainsFunc(acts, func(a Action) bool { return a.Kind == Log && a.Text == s.log }) {
					t.Fatalf("step %d (%s): no log %q in %v", i, s.ev, s.log, acts)
				}
			}
		})
	}
}

func TestStateNames(t *testing.T) {
	for s, want := range map[State]string{Init: "INIT", Backup: "BACKUP", Master: "MASTER", Fault: "FAULT", Stopped: "STOP"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", s, s.String(), want)
		}
	}
}

func TestLogLines(t *testing.T) {
	m := New("VI_1", Config{Priority: 100, Interval: time.Second, Version: 2, Addr: us})
	var lines []string
	collect := func(acts []Action) {
		for _, a := range acts {
			if a.Kind == Log {
				lines = append(lines, a.Text)
			}
		}
	}
	collect(m.Start(t0))
	collect(m.Timer(m.Deadline()))
	collect(m.Stop(m.Deadline()))
	want := []string{"(VI_1) Entering BACKUP STATE (init)", "(VI_1) Receive advertisement timeout",
		"(VI_1) Entering MASTER STATE", "(VI_1) sent 0 priority"}
	if !slices.Equal(lines, want) {
		t.Fatalf("log\n%q\nwant\n%q", lines, want)
	}
}

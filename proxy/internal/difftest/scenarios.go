package difftest

// Standard is the scenario table both the balancer and the engine are
// compared on: every algorithm with unequal weights, a server going down
// and coming back, backups taking over.
func Standard() []Scenario {
	four := []Server{{Name: "s1", Weight: 3}, {Name: "s2", Weight: 1}, {Name: "s3", Weight: 2}, {Name: "s4", Weight: 5}}
	srcs := Sources(24)
	downUp := func(conns func() []Step) []Step {
		var st []Step
		st = append(st, conns()...)
		st = append(st, Step{Down: "s3"})
		st = append(st, conns()...)
		st = append(st, Step{Down: "s4"})
		st = append(st, conns()...)
		st = append(st, Step{Up: "s3"})
		st = append(st, conns()...)
		st = append(st, Step{Up: "s4"})
		st = append(st, conns()...)
		return st
	}
	plain := func() []Step { return Conns(17, false) }
	hashed := func() []Step { return Conns(len(srcs), false, srcs...) }
	held := func() []Step { return Conns(9, true) }
	withBackups := []Server{{Name: "s1", Weight: 2}, {Name: "s2", Weight: 1}, {Name: "b1", Weight: 3, Backup: true}, {Name: "b2", Weight: 1, Backup: true}}
	backupSteps := func(conns func() []Step) []Step {
		var st []Step
		st = append(st, conns()...)
		st = append(st, Step{Down: "s1"}, Step{Down: "s2"})
		st = append(st, conns()...)
		st = append(st, Step{Down: "b1"})
		st = append(st, conns()...)
		st = append(st, Step{Up: "b1"}, Step{Up: "s2"})
		st = append(st, conns()...)
		return st
	}
	first := []Server{{Name: "s1", MaxConn: 2}, {Name: "s2", MaxConn: 3}, {Name: "s3", MaxConn: 2}, {Name: "s4", MaxConn: 4}}
	return []Scenario{
		{Name: "roundrobin", Balance: "roundrobin", Servers: four, Steps: downUp(plain)},
		{Name: "roundrobin-held", Balance: "roundrobin", Servers: four, Steps: downUp(held)},
		{Name: "static-rr", Balance: "static-rr", Servers: four, Steps: downUp(plain)},
		{Name: "leastconn", Balance: "leastconn", Servers: four, Steps: downUp(held)},
		{Name: "first", Balance: "first", Servers: first, Steps: append(Conns(6, true), append([]Step{{Down: "s2"}}, append(Conns(4, true), append([]Step{{Up: "s2"}}, Conns(1, true)...)...)...)...)},
		{Name: "source-map", Balance: "source", Servers: four, Steps: downUp(hashed)},
		{Name: "source-map-avalanche", Balance: "source", HashType: "map-based sdbm avalanche", Servers: four, Steps: downUp(hashed)},
		{Name: "source-consistent", Balance: "source", HashType: "consistent", Servers: four, Steps: downUp(hashed)},
		{Name: "roundrobin-backup", Balance: "roundrobin", Servers: withBackups, Steps: backupSteps(plain)},
		{Name: "roundrobin-allbackups", Balance: "roundrobin", AllBackups: true, Servers: withBackups, Steps: backupSteps(plain)},
		{Name: "static-rr-allbackups", Balance: "static-rr", AllBackups: true, Servers: withBackups, Steps: backupSteps(plain)},
		{Name: "source-consistent-backup", Balance: "source", HashType: "consistent", Servers: withBackups, Steps: backupSteps(hashed)},
	}
}

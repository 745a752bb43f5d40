package vip

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestEffectivePriority(t *testing.T) {
	tracks := []Track{{Name: "eth1"}, {Name: "chk_up", Weight: 20}, {Name: "chk_down", Weight: -30},
		{Name: "file0", File: true}, {Name: "file5", Weight: 5, File: true}, {Name: "filerev", Weight: 2, File: true, Reverse: true}}
	for _, tc := range []struct {
		desc      string
		base      uint8
		ok        map[string]bool
		values    map[string]int
		wantPrio  int
		wantFault bool
	}{
		{desc: "file weight 0, value 0: fine", base: 100, values: map[string]int{"file0": 0}, wantPrio: 120},
		{desc: "file weight 0, value 3: FAULT", base: 100, values: map[string]int{"file0": 3}, wantPrio: 120, wantFault: true},
		{desc: "file value times weight", base: 100, values: map[string]int{"file5": -4}, wantPrio: 100},
		{desc: "file reverse", base: 100, values: map[string]int{"filerev": 10}, wantPrio: 100},
		{desc: "file -254 or less: FAULT", base: 100, values: map[string]int{"file5": -51}, wantPrio: 120, wantFault: true},
		{"all succeeding: positive weights added", 100, nil, nil, 120, false},
		{"positive tracker failing: weight lost", 100, map[string]bool{"chk_up": false}, nil, 100, false},
		{"negative tracker failing: weight taken", 100, map[string]bool{"chk_down": false}, nil, 90, false},
		{"weight 0 failing: FAULT", 100, map[string]bool{"eth1": false}, nil, 120, true},
		{"clamped to 254", 250, nil, nil, 254, false},
		{"clamped to 1", 20, map[string]bool{"chk_up": false, "chk_down": false}, nil, 1, false},
		{"owner keeps 255", 255, map[string]bool{"chk_down": false}, nil, 255, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p, f := effectivePriority(tc.base, tracks, tc.ok, tc.values)
			if p != tc.wantPrio || f != tc.wantFault {
				t.Fatalf("got %d %v, want %d %v", p, f, tc.wantPrio, tc.wantFault)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := config("VI_1", 100)
	for _, tc := range []struct {
		desc string
		f    func(c *Config)
		want string // "" for valid
	}{
		{"valid", func(c *Config) {}, ""},
		{"v3 centiseconds", func(c *Config) { c.Version, c.Interval = 3, 250*time.Millisecond }, ""},
		{"no name", func(c *Config) { c.Name = "" }, "without a name"},
		{"no interface", func(c *Config) { c.Interface = "" }, "no interface"},
		{"VRID 0", func(c *Config) { c.VRID = 0 }, "VRID 0"},
		{"priority 0", func(c *Config) { c.Priority = 0 }, "priority 0"},
		{"version 4", func(c *Config) { c.Version = 4 }, "version 4"},
		{"v2 fractional", func(c *Config) { c.Interval = 1500 * time.Millisecond }, "whole seconds"},
		{"v3 too long", func(c *Config) { c.Version, c.Interval = 3, 41*time.Second }, "10ms steps"},
		{"IPv6 VIP over v2", func(c *Config) { c.VIPs = []VIP{{Prefix: netip.MustParsePrefix("2001:db8::1/64")}} }, "IPv6 with VRRP version 2"},
		{"IPv6 VIP over v3", func(c *Config) {
			c.Version, c.VIPs = 3, []VIP{{Prefix: netip.MustParsePrefix("2001:db8::1/64")}}
		}, ""},
		{"mixed families", func(c *Config) {
			c.Version = 3
			c.VIPs = append(c.VIPs, VIP{Prefix: netip.MustParsePrefix("2001:db8::1/64")})
		}, "both families"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c := good
			tc.f(&c)
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

package balance_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"fulcrum/internal/reftest"
	"fulcrum/proxy/balance"
	"fulcrum/proxy/internal/difftest"
)

// configFor maps a scenario's balance/hash-type lines onto a Config, the way
// the engine's adapter will.
func configFor(t *testing.T, sc difftest.Scenario) balance.Config {
	f := strings.Fields(sc.Balance)
	algo, arg, _ := strings.Cut(f[0], "(")
	cfg := balance.Config{Algo: balance.Algo(algo), AllBackups: sc.AllBackups}
	if arg != "" {
		cfg.Param = strings.TrimSuffix(arg, ")")
	}
	cfg.SetHTTPArgs(cfg.Param, f[1:])
	h := strings.Fields(sc.HashType)
	if len(h) > 0 {
		cfg.Consistent = h[0] == "consistent"
		if len(h) == 1 && cfg.Consistent {
			cfg.Avalanche = true
		}
		if len(h) > 1 {
			cfg.Func = balance.HashFunc(h[1])
		}
		if len(h) > 2 && h[2] == "avalanche" {
			cfg.Avalanche = true
		}
	}
	return cfg
}

// simulate plays a scenario on a Balancer alone: each connection is picked
// and taken, and dropped at once unless held.
func simulate(t *testing.T, sc difftest.Scenario) []string {
	var servers []*balance.Server
	byName := map[string]*balance.Server{}
	for _, s := range sc.Servers {
		w := s.Weight
		if w == 0 {
			w = 1
		}
		srv := &balance.Server{Name: s.Name, Weight: w, Backup: s.Backup, MaxConn: s.MaxConn}
		servers = append(servers, srv)
		byName[s.Name] = srv
	}
	b, err := balance.New(configFor(t, sc), servers)
	if err != nil {
		t.Fatal(err)
	}
	var picks []string
	var held []*balance.Server
	for i, st := range sc.Steps {
		switch {
		case st.Down != "":
			b.SetUp(byName[st.Down], false)
		case st.Up != "":
			b.SetUp(byName[st.Up], true)
		case st.Weight != "":
			name, w := difftest.ParseWeight(st.Weight)
			b.SetWeight(byName[name], w)
		case st.Release > 0:
			b.Drop(held[st.Release-1])
		default:
			src := st.Src
			if src == "" {
				src = "127.0.0.1"
			}
			req := &balance.Request{Src: netip.MustParseAddr(src)}
			if sc.HTTP {
				req.URI, req.Method = st.URI, "GET"
				name, value, _ := strings.Cut(st.Header, ": ")
				req.Header = func(h string) (string, bool) {
					switch {
					case strings.EqualFold(h, name):
						return value, true
					case strings.EqualFold(h, "host"):
						return "test.local", true
					}
					return "", false
				}
			}
			s, err := b.Pick(req, nil)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			b.Take(s)
			if st.Hold {
				held = append(held, s)
			} else {
				b.Drop(s)
			}
			picks = append(picks, s.Name)
		}
	}
	return picks
}

// TestDifferentialPicks compares the balancer's picks with the reference
// haproxy's on the same scenario.
func TestDifferentialPicks(t *testing.T) {
	bin := reftest.HAProxy(t)
	for _, sc := range append(difftest.Standard(), difftest.HTTPHashing()...) {
		t.Run(sc.Name, func(t *testing.T) {
			want := difftest.RunReference(t, bin, sc)
			got := simulate(t, sc)
			if !slices.Equal(got, want) {
				t.Errorf("picks differ from the reference\nref:  %v\nours: %v", want, got)
			}
		})
	}
}

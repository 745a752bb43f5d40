package proxy

import (
	"net/netip"
	"testing"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"

	"fulcrum/proxy/stick"
)

// TestStickTrackAllocations: tracking a source, counting a request on
// it and releasing it allocates nothing once the entry exists.
func TestStickTrackAllocations(t *testing.T) {
	spec := stick.Spec{Name: "fe", Key: stick.IP, Size: 100}
	spec.Store(stick.HTTPReqRate, 10e9)
	spec.Store(stick.ConnCur, 0)
	e, err := New(&Config{Tables: []stick.Spec{spec}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &adapter{}
	tr := &Track{Slot: 0, Table: "fe", Key: a.stickKey(confparse.Pos{}, "src"), Stream: true}
	s := &Session{Frontend: "fe", Src: netip.MustParseAddrPort("10.0.0.1:1234"), Engine: e}
	rate := stickOps()["http_req_rate"]
	allocs := testing.AllocsPerRun(100, func() {
		tr.Do(s)
		if n, v := s.scFetch(0, "", rate); v != True || n < 0 {
			t.Fatal("no rate")
		}
		s.stickClose(0, 0)
	})
	if allocs > 0 {
		t.Errorf("%v allocations per tracked connection, want 0", allocs)
	}
}

// TestStickConverterDefaults: table_expire and table_idle give their
// default without an entry, and fail without one.
func TestStickConverterDefaults(t *testing.T) {
	spec := stick.Spec{Name: "fe", Key: stick.IP, Size: 10}
	e, err := New(&Config{Tables: []stick.Spec{spec}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{Frontend: "fe", Src: netip.MustParseAddrPort("10.0.0.1:1"), Engine: e}
	for _, tc := range []struct {
		expr string
		want string
		ok   bool
	}{
		{"src,table_expire(fe,7)", "7", true},
		{"src,table_idle(fe,9)", "9", true},
		{"src,table_expire(fe)", "", false},
	} {
		x, err := sample.ParseExpr(tc.expr, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := x.String(s)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s = %q, %v; want %q, %v", tc.expr, got, ok, tc.want, tc.ok)
		}
	}
}

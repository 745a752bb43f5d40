package sample

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
)

// TestRefsChangeACLsAndMaps: a file shared by an ACL and a map converter
// is one reference; its changes apply to both, inline patterns are a
// reference of their own, and ids follow the reference's numbering.
func TestRefsChangeACLsAndMaps(t *testing.T) {
	files := map[string]string{"/nets": "10.0.0.0/8 in\n# c\n", "/other": "172.16.0.0/12\n"}
	refs := &Refs{}
	opts := func(line int, late bool) *Options {
		return &Options{ReadFile: func(n string) ([]byte, error) { return []byte(files[n]), nil },
			Refs: refs, Where: fmt.Sprintf("file 'x.cfg' line %d", line), Late: late}
	}
	acl, err := ParseACL([]string{"src", "-M", "-f", "/nets", "-f", "/other", "192.0.2.1"}, opts(3, false))
	if err != nil {
		t.Fatal(err)
	}
	x, err := ParseExpr("src,map_ip(/nets,out)", opts(9, true))
	if err != nil {
		t.Fatal(err)
	}
	from := func(ip string) *env {
		e := httpEnv(t, testReq)
		e.src = netip.AddrPortFrom(netip.MustParseAddr(ip), 1)
		return e
	}
	lookup := func(ip string) string {
		var s Sample
		x.Eval(from(ip), &s)
		return string(s.Bytes)
	}
	check := func(desc, ip string, wantACL Result, wantMap string) {
		t.Helper()
		if got := acl.Match(from(ip)); got != wantACL {
			t.Errorf("%s: acl(%s) = %v, want %v", desc, ip, got, wantACL)
		}
		if got := lookup(ip); got != wantMap {
			t.Errorf("%s: map(%s) = %q, want %q", desc, ip, got, wantMap)
		}
	}
	check("loaded", "10.1.1.1", Found, "in")
	check("inline pattern", "192.0.2.1", Found, "out")
	nets := refs.Find("/nets")
	if nets == nil || !nets.Map || !nets.ACL || len(nets.Users()) != 2 {
		t.Fatalf("/nets reference: %+v", nets)
	}
	// Ids: /nets 0, /other 1, the inline patterns 2; the late map user
	// shares /nets. The internal ACLs take 3 and 4.
	if ids := refs.InternalIDs(); ids[0] != 3 || refs.Find("#2") == nil || refs.Find("#2").File != "" {
		t.Errorf("ids: internal %v, #2 %+v", ids, refs.Find("#2"))
	}
	if err := nets.Add("198.51.100.0/24", "added"); err != nil {
		t.Fatal(err)
	}
	check("added", "198.51.100.7", Found, "added")
	if err := nets.Add("bogus", "x"); err == nil {
		t.Error("an invalid address was added")
	}
	if ok, err := nets.Set("198.51.100.0/24", "changed"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	check("set", "198.51.100.7", Found, "changed")
	if !nets.Del("10.0.0.0/8") || nets.Del("10.0.0.0/8") {
		t.Error("del: first must find the key, the second not")
	}
	check("deleted", "10.1.1.1", Miss, "out")
	refs.Find("#2").Clear()
	check("inline cleared", "192.0.2.1", Miss, "out")
	check("other file still there", "172.16.1.1", Found, "out")
	// Concurrent changes of two files one ACL loads do not deadlock.
	other := refs.Find("/other")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(2)
		go func() { defer wg.Done(); nets.Add(fmt.Sprintf("10.%d.0.0/16", i), "v") }()
		go func() { defer wg.Done(); other.Add(fmt.Sprintf("172.%d.0.0/16", i), "") }()
	}
	wg.Wait()
	if n := len(nets.Entries()); n != 51 {
		t.Errorf("/nets has %d entries, want 51", n)
	}
}

package vip

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"syscall"
	"testing"

	"fulcrum/vip/elect"
)

// sigJSON is SIGRTMIN+2, the reference's JSON dump signal.
const sigJSON = syscall.Signal(36)

// TestJSONLikeReference compares our keepalived.json with the reference's
// for an owner in MASTER with PASS authentication: same keys in the same
// order, same values except the timing-dependent ones.
func TestJSONLikeReference(t *testing.T) {
	t.Parallel()
	dump := func(ours bool) string {
		l := newLab(t, 1)
		l.privateTmp = true
		if ours {
			cfg := config("VI_1", 255)
			cfg.GARPDelay = Defaults().GARPDelay // as the reference's default
			n := l.start(0, cfg)
			waitFor(t, "MASTER with two adverts sent", func() bool { return n.State() == elect.Master && n.Stats().Sent >= 2 })
			var b bytes.Buffer
			if err := WriteJSON(&b, n.Instance); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
		l.refInstance = "state MASTER"
		ref := l.startReference(0, 255)
		waitFor(t, "the reference MASTER", func() bool { return ref.logged("(VI_1) Entering MASTER STATE") })
		return ref.dump(sigJSON, "keepalived.json")
	}
	ours, ref := dump(true), dump(false)
	keys := regexp.MustCompile(`"([a-z_]+)":`)
	if a, b := keys.FindAllString(ours, -1), keys.FindAllString(ref, -1); !reflect.DeepEqual(a, b) {
		t.Fatalf("keys differ:\nours %v\nref  %v", a, b)
	}
	var o, r []map[string]map[string]any
	if err := json.Unmarshal([]byte(ours), &o); err != nil {
		t.Fatalf("%v: %s", err, ours)
	}
	if err := json.Unmarshal([]byte(ref), &r); err != nil {
		t.Fatalf("%v: %s", err, ref)
	}
	timing := map[string]bool{"last_transition": true, "advert_sent": true}
	for _, part := range []string{"data", "stats"} {
		for k, rv := range r[0][part] {
			if !timing[k] && !reflect.DeepEqual(o[0][part][k], rv) {
				t.Errorf("%s.%s: ours %v, the reference's %v", part, k, o[0][part][k], rv)
			}
		}
	}
	if t.Failed() {
		t.Logf("ours: %s\nreference: %s", ours, ref)
	}
}

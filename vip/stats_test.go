package vip

import (
	"bytes"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"fulcrum/vip/vrrp"
)

// TestStatsLikeReference compares our stats dump with the reference's
// /tmp/keepalived.stats for the same scenario: MASTER (priority 255) while
// a neighbour with the wrong password advertises.
func TestStatsLikeReference(t *testing.T) {
	t.Parallel()
	run := func(ours bool) string {
		l := newLab(t, 2)
		l.privateTmp = true
		wrong := config("VI_1", 100)
		wrong.AuthPass = "wrong"
		l.start(1, wrong)
		if ours {
			n := l.start(0, config("VI_1", 255))
			waitFor(t, "password failures counted", func() bool { return n.Stats().Reasons[vrrp.ReasonPassword] >= 2 && n.Stats().Sent >= 2 })
			var b bytes.Buffer
			WriteStats(&b, n.Instance)
			return b.String()
		}
		ref := l.startReference(0, 255)
		waitFor(t, "password failures logged", func() bool { return strings.Count(ref.log(), "invalid passwd") >= 2 })
		return ref.dump(syscall.SIGUSR2, "keepalived.stats")
	}
	ours, ref := run(true), run(false)
	numbers := regexp.MustCompile(`[0-9]+`)
	if a, b := numbers.ReplaceAllString(ours, "N"), numbers.ReplaceAllString(ref, "N"); a != b {
		t.Fatalf("our stats:\n%s\nthe reference's:\n%s", ours, ref)
	}
	for _, line := range []string{"  Became master: 1\n", "    Failure: "} {
		if !strings.Contains(ours, line) || !strings.Contains(ref, line) {
			t.Fatalf("%q missing:\nours:\n%s\nreference:\n%s", line, ours, ref)
		}
	}
	failures := regexp.MustCompile(`Failure: ([0-9]+)`)
	if failures.FindStringSubmatch(ours)[1] == "0" || failures.FindStringSubmatch(ref)[1] == "0" {
		t.Fatalf("no authentication failure counted:\nours:\n%s\nreference:\n%s", ours, ref)
	}
}

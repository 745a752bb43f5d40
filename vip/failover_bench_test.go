package vip

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"fulcrum/vip/elect"
	"fulcrum/vip/transport"
)

// BenchmarkFailover measures, for ours and the reference, the time from the
// master's last advertisement seen on the wire to the VIP appearing on the
// backup: after the master is killed (theory: Master_Down_Interval, 3.609 s
// for priority 100) and after it stops gracefully (its priority-0 advert
// is the last one; theory: Skew_Time, 0.609 s). bench/vrrp-failover.sh
// prints the figures side by side.
func BenchmarkFailover(b *testing.B) {
	for _, impl := range []string{"ours", "reference"} {
		for _, how := range []string{"kill", "stop"} {
			b.Run(impl+"/"+how, func(b *testing.B) {
				var total time.Duration
				for range b.N {
					total += failoverOnce(b, impl, how)
				}
				b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/takeover")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// watcher records, inside the backup's namespace, the last advertisement
// from the master and the moment the VIP is added.
type watcher struct {
	mu       sync.Mutex
	lastAdv  time.Time
	vipAdded chan time.Time
}

func watch(tb testing.TB, l *lab, k int, master netip.Addr) *watcher {
	w := &watcher{vipAdded: make(chan time.Time, 1)}
	var conn *transport.Conn
	updates, done := make(chan netlink.AddrUpdate, 16), make(chan struct{})
	if err := l.nodes[k].Do(func() (err error) {
		if conn, err = transport.Listen(transport.Config{Interface: "eth0"}); err != nil {
			return err
		}
		return netlink.AddrSubscribe(updates, done)
	}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(); close(done) })
	go func() {
		buf := make([]byte, 1500)
		for {
			r, err := conn.Receive(buf)
			if err != nil {
				return
			}
			if r.Src == master {
				w.mu.Lock()
				w.lastAdv = time.Now()
				w.mu.Unlock()
			}
		}
	}()
	go func() {
		for u := range updates {
			if ip, _ := netip.AddrFromSlice(u.LinkAddress.IP.To4()); u.NewAddr && ip == testVIP.Addr() {
				select {
				case w.vipAdded <- time.Now():
				default:
				}
			}
		}
	}()
	return w
}

func (w *watcher) last() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastAdv
}

func failoverOnce(b *testing.B, impl, how string) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	l := newLab(b, 2)
	masterAddr := netip.MustParseAddr("10.213.0.1")
	var fail func()
	var backupReady func() bool
	switch impl {
	case "ours":
		m, bk := l.start(0, config("VI_1", 150)), l.start(1, config("VI_1", 100))
		backupReady = func() bool { return m.State() == elect.Master && bk.State() == elect.Backup && bk.Stats().Received > 0 }
		fail = map[string]func(){"kill": m.Abort, "stop": func() { m.Stop() }}[how]
	case "reference":
		m, bk := l.startReference(0, 150), l.startReference(1, 100)
		backupReady = func() bool {
			return m.logged("(VI_1) Entering MASTER STATE") && bk.logged("(VI_1) Entering BACKUP STATE")
		}
		fail = map[string]func(){"kill": m.killVRRP, "stop": m.stop}[how]
	}
	waitFor(b, "one master and one backup", backupReady)
	l.onlyHolder(0)
	w := watch(b, l, 1, masterAddr)
	waitFor(b, "an advertisement on the wire", func() bool { return !w.last().IsZero() })
	fail()
	select {
	case at := <-w.vipAdded:
		return at.Sub(w.last())
	case <-time.After(settle):
		b.Fatalf("%s/%s: the backup never took the VIP", impl, how)
	}
	return 0
}

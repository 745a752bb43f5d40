package fdlimit

import (
	"errors"
	"strings"
	"testing"
)

// fakeSys is a RLIMIT_NOFILE that refuses a hard limit above ceiling,
// as a process without CAP_SYS_RESOURCE sees it.
type fakeSys struct {
	lim     Rlimit
	ceiling uint64
}

func (f *fakeSys) Get() (Rlimit, error) { return f.lim, nil }

func (f *fakeSys) Set(r Rlimit) error {
	if r.Cur > r.Max || r.Max > f.ceiling {
		return errors.New("EPERM")
	}
	f.lim = r
	return nil
}

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		desc string
		b    Budget
		boot Rlimit
		want Limits
	}{
		{"derived from the hard limit", Budget{Held: 12, NbThread: 2}, Rlimit{1024, 4096},
			Limits{MaxConn: (4096 - 10 - 12 - 6) / 2, MaxSock: 10 + 12 + 6 + 2*((4096-28)/2), UlimitN: 28 + 2*((4096-28)/2), NbThread: 2}},
		{"never below 100", Budget{Held: 12, NbThread: 1}, Rlimit{64, 64},
			Limits{MaxConn: 100, MaxSock: 225, UlimitN: 225, NbThread: 1}},
		{"maxconn given", Budget{Held: 3, NbThread: 1, MaxConn: 50, UlimitN: 7}, Rlimit{1024, 4096},
			Limits{MaxConn: 50, MaxSock: 116, UlimitN: 7, NbThread: 1}},
		{"fd-hard-limit caps it", Budget{NbThread: 1, HardLimit: 1013}, Rlimit{1024, 4096},
			Limits{MaxConn: 500, MaxSock: 1013, UlimitN: 1013, NbThread: 1}},
		{"unlimited reads as -1", Budget{NbThread: 1}, Rlimit{Infinity, Infinity},
			Limits{MaxConn: 100, MaxSock: 213, UlimitN: 213, NbThread: 1}},
		// 4096-13 = 4083 left: 2/5 of it, a pipe per 4 connections.
		{"unbounded splicing", Budget{NbThread: 1, Splice: []Splicer{{Frontend: true, Backend: true}}}, Rlimit{1024, 4096},
			Limits{MaxConn: 1633, MaxSock: 13 + 2*1633 + 2*408, UlimitN: 13 + 2*1633 + 2*408, NbThread: 1, MaxPipes: 408}},
		// A quarter of the larger of maxconn and fullconn is set aside.
		{"bounded splicing", Budget{NbThread: 1, Splice: []Splicer{{Frontend: true, MaxConn: 400}, {Backend: true, FullConn: 100}}}, Rlimit{1024, 4096},
			Limits{MaxConn: (4083 - 200) / 2, MaxSock: 13 + 2*1941 + 200, UlimitN: 13 + 2*1941 + 200, NbThread: 1, MaxPipes: 100}},
		{"maxpipes given", Budget{NbThread: 1, MaxConn: 1000, MaxPipes: 7, Splice: []Splicer{{Frontend: true}}}, Rlimit{1024, 4096},
			Limits{MaxConn: 1000, MaxSock: 13 + 2000 + 14, UlimitN: 13 + 2000 + 14, NbThread: 1, MaxPipes: 7}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := tc.b.Compute(tc.boot); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRaiseAndCheckLow(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		l         Limits
		hard      int
		strict    bool
		start     Rlimit
		ceiling   uint64
		wantMsgs  string
		wantFatal bool
		wantLim   Rlimit
		wantUlim  int
	}{
		{"raised", Limits{MaxSock: 2000, UlimitN: 2000}, 0, true, Rlimit{1024, 4096}, 4096, "", false, Rlimit{2000, 4096}, 2000},
		{"never lowered", Limits{MaxSock: 500, UlimitN: 500}, 0, true, Rlimit{1024, 4096}, 4096, "", false, Rlimit{1024, 4096}, 500},
		{"hard limit raised when allowed", Limits{MaxSock: 5000, UlimitN: 5000}, 0, true, Rlimit{1024, 4096}, 8192, "", false, Rlimit{5000, 5000}, 5000},
		{"strict: cannot raise", Limits{MaxSock: 5000, UlimitN: 5000}, 0, true, Rlimit{1024, 4096}, 4096,
			"ALERT [p.main()] Cannot raise FD limit to 5000, limit is 1024.", true, Rlimit{1024, 4096}, 5000},
		{"not strict: as high as it goes, then too low", Limits{MaxConn: 2490, MaxSock: 5000, UlimitN: 5000}, 0, false, Rlimit{1024, 4096}, 4096,
			"WARNING [p.main()] Cannot raise FD limit to 5000, limit is 4096.|ALERT [p.main()] FD limit (4096) too low for maxconn=2490/maxsock=5000. Please raise 'ulimit-n' to 5000 or more to avoid any trouble.",
			false, Rlimit{4096, 4096}, 4096},
		{"ulimit-n too low: strict stops", Limits{MaxConn: 900, MaxSock: 1830, UlimitN: 1500}, 0, true, Rlimit{1024, 4096}, 4096,
			"ALERT [p.main()] FD limit (1500) too low for maxconn=900/maxsock=1830. Please raise 'ulimit-n' to 1830 or more to avoid any trouble.", true, Rlimit{1500, 4096}, 1500},
		{"fd-hard-limit below ulimit-n", Limits{MaxSock: 900, UlimitN: 3000}, 2000, true, Rlimit{1024, 4096}, 4096,
			"ALERT [p.main()] Cannot raise FD limit to 3000, limit is 1024.", true, Rlimit{1024, 4096}, 3000},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			sys := &fakeSys{lim: tc.start, ceiling: tc.ceiling}
			l := tc.l
			msgs, fatal := Raise(sys, &l, tc.hard, tc.strict, "p")
			if !fatal {
				var low *Message
				if low, fatal = CheckLow(sys, l, tc.strict, "p"); low != nil {
					msgs = append(msgs, *low)
				}
			}
			var got []string
			for _, m := range msgs {
				got = append(got, m.Level+" "+m.Text)
			}
			if strings.Join(got, "|") != tc.wantMsgs || fatal != tc.wantFatal {
				t.Errorf("messages %q fatal %v, want %q fatal %v", got, fatal, tc.wantMsgs, tc.wantFatal)
			}
			if !fatal && (sys.lim != tc.wantLim || l.UlimitN != tc.wantUlim) {
				t.Errorf("limit %+v ulimit-n %d, want %+v %d", sys.lim, l.UlimitN, tc.wantLim, tc.wantUlim)
			}
		})
	}
}

package balance

import (
	"testing"
	"time"
)

// TestWarmup follows HAProxy's slow start arithmetic: with a 10s ramp the
// effective weight is uweight*((16*sec+10)/10), and the connection limit
// maxconn*sec*10%, at least 1; the factor (16*sec+10)/10 is an integer.
func TestWarmup(t *testing.T) {
	s1 := &Server{Name: "s1", Weight: 10, MaxConn: 50}
	s2 := &Server{Name: "s2", Weight: 10}
	b, err := New(Config{Algo: RoundRobin}, []*Server{s1, s2})
	if err != nil {
		t.Fatal(err)
	}
	b.SetUp(s1, false)
	b.SetUpStarting(s1, 10*time.Second)
	tests := []struct {
		sec          int
		eweight, max int
		done         bool
	}{
		{0, 10, 1, false},
		{1, 20, 5, false},
		{5, 90, 25, false},
		{9, 150, 45, false},
		{10, 160, 50, true},
	}
	for _, tt := range tests {
		done := tt.sec == 0
		if tt.sec > 0 {
			done = b.Warmup(s1, time.Duration(tt.sec)*time.Second, 10*time.Second)
		}
		if s1.eweight != tt.eweight || b.DynMaxConn(s1) != tt.max || (tt.sec > 0 && done != tt.done) {
			t.Fatalf("after %ds: eweight %d max %d done %v; want %d %d %v", tt.sec, s1.eweight, b.DynMaxConn(s1), done, tt.eweight, tt.max, tt.done)
		}
	}
	if b.totWact != 320 {
		t.Fatalf("total active weight %d, want 320", b.totWact)
	}
}

// TestRandom: draws follow the weights, and with two draws a loaded
// server loses against an idle one (power of two choices).
func TestRandom(t *testing.T) {
	s1, s2 := &Server{Name: "s1", Weight: 3}, &Server{Name: "s2", Weight: 1}
	b, err := New(Config{Algo: Random, Draws: 1, Seed: 7}, []*Server{s1, s2})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for range 4000 {
		s, err := b.Pick(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		count[s.Name]++
	}
	if r := float64(count["s1"]) / float64(count["s2"]); r < 2 || r > 4.5 {
		t.Fatalf("weight 3:1 drew %v", count)
	}
	b2, _ := New(Config{Algo: Random, Draws: 2, Seed: 7}, []*Server{{Name: "a", Weight: 1}, {Name: "b", Weight: 1}})
	a := b2.Servers()[0]
	for range 10 {
		b2.Take(a)
	}
	loaded := 0
	for range 1000 {
		s, _ := b2.Pick(nil, nil)
		if s == a {
			loaded++
		}
	}
	// a is chosen only when both draws land on it: about 1 in 4.
	if loaded > 400 {
		t.Fatalf("loaded server picked %d of 1000 times", loaded)
	}
}

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

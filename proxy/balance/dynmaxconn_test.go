package balance

import "testing"

// With fullconn and a server minconn, a server's connection limit grows
// with the backend's load, as HAProxy's srv_dynamic_maxconn computes it:
// max(minconn, backend connections * maxconn / fullconn) until the backend
// reaches fullconn, then maxconn.
func TestDynamicMaxConn(t *testing.T) {
	s := &Server{Name: "s", Weight: 1, MinConn: 5, MaxConn: 50}
	b, err := New(Config{Algo: RoundRobin, FullConn: 100}, []*Server{s})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ backendConns, want int }{
		{0, 5}, {9, 5}, {10, 5}, {12, 6}, {50, 25}, {99, 49}, {100, 50}, {500, 50},
	} {
		b.BackendConns = tc.backendConns
		if got := b.dynMaxConn(s); got != tc.want {
			t.Errorf("backend at %d connections: limit %d, want %d", tc.backendConns, got, tc.want)
		}
	}
	// Without fullconn the limit is maxconn.
	b2, _ := New(Config{Algo: RoundRobin}, []*Server{{Name: "s", Weight: 1, MinConn: 5, MaxConn: 50}})
	if got := b2.dynMaxConn(b2.servers[0]); got != 50 {
		t.Errorf("no fullconn: limit %d, want 50", got)
	}
}

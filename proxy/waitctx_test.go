package proxy

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWaitContext: the wait context of a tcp-mode connection knows its
// deadline without a real context, ends at the deadline or with the
// engine's context, passes both on to contexts made from it, and makes no
// real context for a connection that never waited.
func TestWaitContext(t *testing.T) {
	w := &waitContext{parent: context.Background(), deadline: time.Now().Add(30 * time.Millisecond)}
	if d, ok := w.Deadline(); !ok || !d.Equal(w.deadline) {
		t.Errorf("Deadline() = %v, %v; want the client's", d, ok)
	}
	if w.ctx != nil {
		t.Fatal("asking the deadline made the real context")
	}
	select {
	case <-w.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("not done after its deadline")
	}
	if !errors.Is(w.Err(), context.DeadlineExceeded) {
		t.Errorf("Err() = %v, want the deadline exceeded", w.Err())
	}
	w.release()

	engine, stop := context.WithCancel(context.Background())
	w = &waitContext{parent: engine}
	if _, ok := w.Deadline(); ok {
		t.Error("a deadline without a client timeout")
	}
	child, cancel := context.WithCancel(w)
	defer cancel()
	stop()
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a context made from it did not end with the engine's")
	}
	w.release()

	idle := &waitContext{parent: context.Background(), deadline: time.Now().Add(time.Hour)}
	idle.release()
	if idle.ctx != nil || idle.cancel != nil {
		t.Error("a connection that never waited made a real context")
	}
}

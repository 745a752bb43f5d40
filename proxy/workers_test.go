package proxy

import (
	"bytes"
	goruntime "runtime"
	"sync"
	"testing"
	"time"
)

// goroutineID is the number goruntime.Stack prints for the calling goroutine.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:goruntime.Stack(buf, false)]
	return string(bytes.Fields(buf)[1])
}

// Sessions run side by side: each of these waits for all the others.
func TestWorkerPoolRunsConcurrently(t *testing.T) {
	p := newWorkerPool()
	const n = 50
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	done := make(chan struct{}, n)
	for range n {
		p.run(func() {
			started.Done()
			<-all
			done <- struct{}{}
		})
	}
	waited := make(chan struct{})
	go func() { started.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("sessions did not all start: the pool ran them one after another")
	}
	close(all)
	for range n {
		<-done
	}
}

// A session after another runs on the goroutine the first one ran on.
func TestWorkerPoolReusesAnIdleWorker(t *testing.T) {
	p := newWorkerPool()
	ids := make(chan string, 1)
	p.run(func() { ids <- goroutineID() })
	first := <-ids
	// The worker counts itself idle before it waits for work.
	for p.idle.Load() != 1 {
		goruntime.Gosched()
	}
	// It may not have reached its receive yet: then run starts a new one.
	for range 100 {
		p.run(func() { ids <- goroutineID() })
		if <-ids == first {
			return
		}
		for p.idle.Load() == 0 {
			goruntime.Gosched()
		}
	}
	t.Fatal("every session ran on a new goroutine")
}

// Idle workers are bounded: the ones beyond maxIdleWorkers end.
func TestWorkerPoolBoundsIdleWorkers(t *testing.T) {
	p := newWorkerPool()
	n := maxIdleWorkers + 40
	var wg sync.WaitGroup
	wg.Add(n)
	release := make(chan struct{})
	for range n {
		p.run(func() { defer wg.Done(); <-release })
	}
	close(release)
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for p.idle.Load() != maxIdleWorkers {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle workers, want %d", p.idle.Load(), maxIdleWorkers)
		}
		goruntime.Gosched()
	}
}

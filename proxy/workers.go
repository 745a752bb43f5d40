package proxy

import "sync/atomic"

// maxIdleWorkers bounds the goroutines kept waiting for the next
// connection: enough to cover the connections that end and start within
// one scheduling round under load, few enough that their stacks (a few
// KiB each) stay negligible.
const maxIdleWorkers = 128

// A workerPool runs each connection's session on a goroutine that may
// have served earlier ones. A new goroutine starts with a small stack and
// grows it, copying it each time, while the session descends through
// rules, balancing, dialing and the tunnel; with a new connection per
// request that copying was a tenth of the proxy's user time. A worker
// keeps its grown stack between sessions.
type workerPool struct {
	work chan func()
	idle atomic.Int32
}

// sessionWorkers runs the sessions of every engine in the process.
var sessionWorkers = newWorkerPool()

func newWorkerPool() *workerPool {
	return &workerPool{work: make(chan func())}
}

// run starts fn on an idle worker, or on a new one when none waits.
func (p *workerPool) run(fn func()) {
	select {
	case p.work <- fn:
	default:
		go p.worker(fn)
	}
}

func (p *workerPool) worker(fn func()) {
	for {
		fn()
		fn = nil // not kept alive while waiting
		if p.idle.Add(1) > maxIdleWorkers {
			p.idle.Add(-1)
			return
		}
		fn = <-p.work
		p.idle.Add(-1)
	}
}

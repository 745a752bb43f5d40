package proxy

import (
	"context"
	"sync"
	"time"
)

// waitContext is the context a tcp-mode connection waits for a server
// under: it ends with the engine's, or when the client's timeout expires
// (the client's timeout keeps running while it waits for a server).
//
// Most connections find a free server and connect at once without
// waiting on anything, so the real context, with its timer and its place
// among the engine context's children, is made only when something asks
// for more than the deadline: a queue or a slow connect. That saves a
// timer, a registration under the parent's lock and three allocations per
// connection.
type waitContext struct {
	parent   context.Context
	deadline time.Time // zero: no client timeout

	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

func (w *waitContext) real() context.Context {
	w.once.Do(func() {
		if w.deadline.IsZero() {
			w.ctx, w.cancel = context.WithCancel(w.parent)
		} else {
			w.ctx, w.cancel = context.WithDeadline(w.parent, w.deadline)
		}
	})
	return w.ctx
}

// Deadline is known without the real context.
func (w *waitContext) Deadline() (time.Time, bool) {
	if w.deadline.IsZero() {
		return w.parent.Deadline()
	}
	return w.deadline, true
}

func (w *waitContext) Done() <-chan struct{} { return w.real().Done() }
func (w *waitContext) Err() error            { return w.real().Err() }

// Value is the real context's, so that a context derived from this one
// finds the real one's cancellation and joins it without a goroutine.
func (w *waitContext) Value(key any) any { return w.real().Value(key) }

// release frees the real context, if one was made.
func (w *waitContext) release() {
	w.once.Do(func() {}) // none can be made from now on
	if w.cancel != nil {
		w.cancel()
	}
}

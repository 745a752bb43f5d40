package proxy

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"
)

// Queue priorities (set-priority-class, set-priority-offset): a queued
// request is served before those of a higher class, and within a class
// in the order of its arrival time plus its offset, as the reference
// orders its queues.
const (
	maxPriorityClass  = 2047
	maxPriorityOffset = 524287 // milliseconds
)

// priorityAction maps set-priority-class EXPR and set-priority-offset
// EXPR; isPriority is false when words are another action.
func (a *adapter) priorityAction(pos confparse.Pos, kw string, words []string) (do func(*Session), isPriority bool) {
	act := first(words)
	if act != "set-priority-class" && act != "set-priority-offset" {
		return nil, false
	}
	if len(words) < 2 {
		a.alert(pos, "'%s %s' expects a sample expression.", kw, act)
		return nil, true
	}
	x, err := sample.ParseExpr(words[1], a.sampleOptions(pos))
	if err != nil {
		a.warn(pos, "'%s %s' is not acted on yet by Fulcrum (%v); the rule is ignored.", kw, act, notBuilt(err))
		return nil, true
	}
	limit := maxPriorityClass
	if act == "set-priority-offset" {
		limit = maxPriorityOffset
	}
	return func(s *Session) {
		v, ok := x.String(s)
		if !ok {
			return
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return
		}
		n = max(-int64(limit), min(int64(limit), n)) // truncated to the range
		if act == "set-priority-class" {
			s.prioClass = int(n)
		} else {
			s.prioOffset = time.Duration(n) * time.Millisecond
		}
	}, true
}

// queueKey orders a request joining a queue now: class first, then
// arrival time plus offset.
func queueKey(s *Session, now time.Time) (class int, at int64) {
	if s == nil {
		return 0, now.UnixNano()
	}
	return s.prioClass, now.Add(s.prioOffset).UnixNano()
}

// before tells whether w is served before x.
func (w *waiter) before(x *waiter) bool {
	if w.class != x.class {
		return w.class < x.class
	}
	if w.key != x.key {
		return w.key < x.key
	}
	return w.seq < x.seq
}

// enqueue inserts w in q in serving order.
func enqueue(q []*waiter, w *waiter) []*waiter {
	i, _ := slices.BinarySearchFunc(q, w, func(a, b *waiter) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	return slices.Insert(q, i, w)
}

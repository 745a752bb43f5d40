package vip

import (
	"context"
	"reflect"
	"slices"
	"sync"

	"fulcrum/vip/track"
)

// Watcher runs a watcher for each tracked object of a Plan and reports
// its results to the engine's instances that track it. Across reloads a
// watch whose definition did not change keeps running with its state (a
// failing script stays failed, so unchanged instances do not flap); new
// instances tracking it are told its last result.
type Watcher struct {
	e   *Engine
	log func(string)

	mu      sync.Mutex
	running map[string]*runningWatch
}

type runningWatch struct {
	w      Watch // Instances kept empty: the definition only
	cancel context.CancelFunc

	mu        sync.Mutex
	instances []string
	reported  bool
	ok        bool
	value     int
	running   bool // a vrrp_script run is under way (snapshot.go)
}

// NewWatcher returns a Watcher reporting to e; log receives the trackers'
// lines.
func NewWatcher(e *Engine, log func(string)) *Watcher {
	if log == nil {
		log = func(string) {}
	}
	return &Watcher{e: e, log: log, running: map[string]*runningWatch{}}
}

// Apply makes the running watches match watches. Call it after
// Engine.Apply, in the network namespace of the tracked interfaces.
func (x *Watcher) Apply(watches []Watch) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	want := map[string]Watch{}
	for _, w := range watches {
		want[w.Key] = w
	}
	for key, r := range x.running {
		if w, ok := want[key]; !ok || !reflect.DeepEqual(definition(w), r.w) {
			r.cancel()
			delete(x.running, key)
		}
	}
	for _, w := range watches {
		if r := x.running[w.Key]; r != nil {
			r.mu.Lock()
			r.instances = slices.Clone(w.Instances)
			r.mu.Unlock()
			r.resend(x.e)
			continue
		}
		r := &runningWatch{w: definition(w), instances: slices.Clone(w.Instances)}
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		if err := r.start(ctx, x.e, x.log); err != nil {
			cancel()
			return err
		}
		x.running[w.Key] = r
	}
	return nil
}

// Stop ends every watch.
func (x *Watcher) Stop() { _ = x.Apply(nil) }

func definition(w Watch) Watch {
	w.Instances = nil
	return w
}

func (r *runningWatch) start(ctx context.Context, e *Engine, log func(string)) error {
	w := r.w
	report := func(up bool) {
		if w.Reverse {
			up = !up
		}
		r.mu.Lock()
		r.reported, r.ok = true, up
		r.mu.Unlock()
		r.resend(e)
	}
	switch w.Kind {
	case WatchInterface:
		return track.WatchLinks(ctx, []string{w.Interface}, func(_ string, up bool) { report(up) })
	case WatchScript:
		go track.RunScriptObserved(ctx, w.Script, report, log, func(on bool) {
			r.mu.Lock()
			r.running = on
			r.mu.Unlock()
		})
	case WatchProcess:
		go track.WatchProcess(ctx, w.Process, 0, report)
	case WatchFile:
		go track.WatchFile(ctx, w.File, 0, func(v int) {
			r.mu.Lock()
			r.reported, r.value = true, v
			r.mu.Unlock()
			r.resend(e)
		}, log)
	}
	return nil
}

// resend gives the last result to every instance tracking the object.
func (r *runningWatch) resend(e *Engine) {
	r.mu.Lock()
	reported, ok, value, names := r.reported, r.ok, r.value, slices.Clone(r.instances)
	r.mu.Unlock()
	if !reported {
		return
	}
	for _, name := range names {
		inst := e.Instance(name)
		if inst == nil {
			continue
		}
		if r.w.Kind == WatchFile {
			inst.SetTrackedValue(r.w.Key, value)
		} else {
			inst.SetTracked(r.w.Key, ok)
		}
	}
}

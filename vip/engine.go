package vip

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Engine runs a daemon's VRRP instances and reloads them without flapping:
// an instance whose configuration did not change keeps running with its
// state and addresses.
type Engine struct {
	opt Options

	mu      sync.Mutex
	running map[string]*runningInstance
}

type runningInstance struct {
	cfg  Config
	inst *Instance
	done chan error
}

// NewEngine returns an engine with no instances; opt is given to each.
func NewEngine(opt Options) *Engine {
	return &Engine{opt: opt, running: map[string]*runningInstance{}}
}

// Apply makes the running instances match cfgs: removed or changed ones stop
// (priority 0 and addresses released when MASTER), new or changed ones
// start, unchanged ones are not touched. Sockets open in the calling
// thread's network namespace.
func (e *Engine) Apply(cfgs []Config) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	want := map[string]Config{}
	for _, c := range cfgs {
		if _, dup := want[c.Name]; dup {
			return fmt.Errorf("vrrp instance %s defined twice", c.Name)
		}
		want[c.Name] = c
	}
	for name, r := range e.running {
		if c, ok := want[name]; !ok || !reflect.DeepEqual(c, r.cfg) {
			r.inst.Stop()
			<-r.done
			delete(e.running, name)
		}
	}
	var errs []error
	for _, c := range cfgs {
		if _, ok := e.running[c.Name]; ok {
			continue
		}
		inst, err := Open(c, e.opt)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r := &runningInstance{cfg: c, inst: inst, done: make(chan error, 1)}
		go func() { r.done <- inst.Run() }()
		e.running[c.Name] = r
	}
	return errors.Join(errs...)
}

// Instances returns the running instances sorted by name.
func (e *Engine) Instances() []*Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*Instance
	for _, r := range e.running {
		out = append(out, r.inst)
	}
	slices.SortFunc(out, func(a, b *Instance) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// Instance returns the running instance called name, or nil.
func (e *Engine) Instance(name string) *Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.running[name]; r != nil {
		return r.inst
	}
	return nil
}

// Stop stops every instance gracefully.
func (e *Engine) Stop() {
	_ = e.Apply(nil)
}

package vip

import (
	"context"

	"fulcrum/vip/track"
)

// StartWatches runs a watcher for each tracked object until ctx ends and
// reports its results to the engine's instances that track it. Call it in
// the network namespace of the tracked interfaces. An instance that is not
// running (yet) misses the report; the watchers report again on change.
func StartWatches(ctx context.Context, e *Engine, watches []Watch, log func(string)) error {
	if log == nil {
		log = func(string) {}
	}
	for _, w := range watches {
		ok := func(up bool) {
			if w.Reverse {
				up = !up
			}
			for _, name := range w.Instances {
				if inst := e.Instance(name); inst != nil {
					inst.SetTracked(w.Key, up)
				}
			}
		}
		switch w.Kind {
		case WatchInterface:
			if err := track.WatchLinks(ctx, []string{w.Interface}, func(_ string, up bool) { ok(up) }); err != nil {
				return err
			}
		case WatchScript:
			go track.RunScript(ctx, w.Script, ok, log)
		case WatchProcess:
			go track.WatchProcess(ctx, w.Process, 0, ok)
		case WatchFile:
			go track.WatchFile(ctx, w.File, 0, func(v int) {
				for _, name := range w.Instances {
					if inst := e.Instance(name); inst != nil {
						inst.SetTrackedValue(w.Key, v)
					}
				}
			}, log)
		}
	}
	return nil
}

package proxy

import (
	"strings"

	"fulcrum/confparse"
	"fulcrum/proxy/sample"
)

// patternAction maps the http rule actions that change a loaded ACL or
// map file as the Runtime API does: add-acl(FILE) KEY, del-acl(FILE) KEY,
// set-map(FILE) KEY VALUE and del-map(FILE) KEY, KEY and VALUE being
// log-format strings. As in the reference, add-acl adds a pattern only
// once, set-map changes every entry of the key or adds one, the del-
// actions remove every entry of the key, and the change is seen by every
// ACL and map converter loading the file, at once. isPattern is false
// when words are another action; do is nil when the action was refused.
func (a *adapter) patternAction(pos confparse.Pos, kw string, words []string) (do func(*Session), isPattern bool) {
	act, file, ok := strings.Cut(strings.TrimSuffix(first(words), ")"), "(")
	if !ok || !strings.HasPrefix(kw, "http-") {
		return nil, false
	}
	switch act {
	case "add-acl", "del-acl", "set-map", "del-map":
	default:
		return nil, false
	}
	want := 2
	if act == "set-map" {
		want = 3
	}
	if file == "" || len(words) < want {
		a.alert(pos, "'%s %s' expects a file name and %d log-format strings.", kw, act, want-1)
		return nil, true
	}
	opts := a.sampleOptions(pos)
	refs := opts.Refs
	var formats []*sample.Template
	for _, w := range words[1:want] {
		t, err := sample.ParseTemplate(w, opts)
		if err != nil {
			a.alert(pos, "'%s %s(%s)': %v.", kw, act, file, notBuilt(err))
			return nil, true
		}
		formats = append(formats, t)
	}
	return func(s *Session) {
		// Found when run: the ACL or map loading the file may come
		// after the rule in the configuration.
		ref := refs.Find(file)
		if ref == nil {
			return
		}
		key := formats[0].String(s)
		switch act {
		case "add-acl":
			if !hasKey(ref, key) {
				ref.Add(key, "")
			}
		case "set-map":
			value := formats[1].String(s)
			if found, _ := ref.Set(key, value); !found {
				ref.Add(key, value)
			}
		default:
			ref.Del(key)
		}
	}, true
}

// hasKey reports whether ref holds an entry with key.
func hasKey(ref *sample.Ref, key string) bool {
	for _, e := range ref.Entries() {
		if e.Key == key {
			return true
		}
	}
	return false
}

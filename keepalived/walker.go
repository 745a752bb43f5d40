package keepalived

import (
	"strconv"

	"fulcrum/confparse"
	kc "fulcrum/confparse/keepalivedconf"
)

// handler fills the model from one keyword line. words[0] is the keyword.
// A nil words slice means the keyword is inactive in this pass (the
// reference calls such handlers so a pass can note that another
// subsystem has configuration).
type handler func(p *parser, words []string)

// exitNow stops a pass the way the reference's exit() in a handler does.
type exitNow struct{ code int }

// parser is the state of one pass over the configuration.
type parser struct {
	pass    Pass
	rd      *kc.Reader
	load    *loader
	skip    int // skip_sublevel: >0 depth of a skipped block, -1 waiting for its '{'
	kwLevel int
	// closers run when a block's closing brace is reached (the reference's
	// sub_close_handler), keyed by keyword path.
	path []string
	cur  kc.Line // the line being handled
}

// report records a message at the reader's current position.
func (p *parser) report(c kc.Class, msg string) { p.rd.Report(c, msg) }

// arg returns words[i], or stops the pass as the reference does when a
// required parameter is missing.
func (p *parser) arg(words []string, i int) string {
	if i < len(words) {
		return words[i]
	}
	if i > 0 && i-1 < len(words) {
		p.report(kc.ClassMissingParameter, "*** Configuration line starting `"+words[0]+"` is missing a parameter after keyword `"+words[i-1]+"` at word position "+itoa(i+1))
	} else {
		p.report(kc.ClassMissingParameter, "*** Configuration line starting `"+first(words)+"` is missing a parameter at word position "+itoa(i+1))
	}
	panic(exitNow{2})
}

func first(w []string) string {
	if len(w) == 0 {
		return "***MISSING ***"
	}
	return w[0]
}

// skipBlock makes the walker skip the rest of the current block, as the
// reference's skip_block does.
func (p *parser) skipBlock(needStart bool) {
	if needStart {
		p.skip = -1
	} else {
		p.skip = 1
	}
}

// pos is the file and line being read, the file named by its path.
func (p *parser) pos() confparse.Pos {
	return confparse.Pos{File: p.cur.Path, Line: p.cur.Where.Line}
}

func (p *parser) readWords() ([]string, bool, bool) {
	line, ok := p.rd.Next()
	if !ok {
		return nil, false, false
	}
	p.cur = line
	ws, unclosed := kc.Split(line.Text)
	if unclosed {
		p.report(kc.ClassUnmatchedQuote, "Unmatched quote: '"+line.Text+"'")
	}
	words := kc.Texts(ws)
	return words, len(words) > 0, true
}

// stream walks one block level: the reference's process_stream.
func (p *parser) stream(kws []*keyword, needBOB bool) bool {
	retErr := false
	bobNeeded := false
	for {
		words, nonEmpty, ok := p.readWords()
		if !ok {
			break
		}
		if !nonEmpty {
			continue
		}
		str := words[0]
		if p.skip == -1 {
			if str == "{" {
				p.skip = 1
				needBOB = false
				continue
			}
			p.skip = 0
		}
		if p.skip != 0 {
			for _, w := range words {
				str = w
				if w == "{" {
					p.skip++
				} else if w == "}" {
					p.skip--
					if p.skip == 0 {
						break
					}
				}
			}
			if str == "}" && p.skip == 0 && p.kwLevel > 0 {
				retErr = true
				break
			}
			continue
		}
		if needBOB {
			needBOB = false
			if str == "{" && p.kwLevel > 0 {
				continue
			}
			p.report(kc.ClassMissingBOB, "Missing '{' at beginning of configuration block")
		} else if str == "{" {
			p.report(kc.ClassUnexpectedBOB, "Unexpected '{' - ignoring")
			continue
		}
		if str == "}" && p.kwLevel > 0 {
			break
		}
		var kw *keyword
		for _, k := range kws {
			if k.name == str {
				kw = k
				break
			}
		}
		if kw == nil {
			p.report(kc.ClassUnknownKeyword, "Unknown keyword '"+str+"'")
			continue
		}
		h := handlers[kw.path]
		if !kw.active {
			if words[len(words)-1] == "{" {
				p.skip = 1
			} else {
				p.skip = -1
			}
			if h != nil {
				h(p, nil)
			}
		}
		if kw.sub != nil {
			if words[len(words)-1] == "{" {
				words = words[:len(words)-1]
				bobNeeded = false
			} else {
				bobNeeded = true
			}
		}
		if kw.active && p.load.ownerMissing(kw.path) {
			// The block's owner was rejected (e.g. a vrrp_instance without a
			// name); the reference would use a stale object here.
		} else if kw.active && !p.checkArg(kw, words) {
			// reported; the reference ignores the line
		} else if kw.active && h != nil {
			h(p, words)
			if keptAsSetting(kw.path) {
				p.load.record(p, kw, words)
			}
		} else if kw.active {
			p.load.record(p, kw, words)
		}
		if kw.sub != nil {
			p.kwLevel++
			p.path = append(p.path, kw.path)
			ret := p.stream(kw.sub, bobNeeded)
			p.load.endBlock(kw)
			p.path = p.path[:len(p.path)-1]
			p.kwLevel--
			if !ret && kw.active {
				if c := closers[kw.path]; c != nil {
					c(p)
				}
			}
		}
	}
	return retErr
}

// valueBlock reads a `{ ... }` list of values the way the reference's
// alloc_value_block does, calling each for every line of words. words is
// the keyword line (it may carry `{` and values on the same line).
func (p *parser) valueBlock(words []string, each func([]string)) {
	needBOB := true
	hadEOB := false
	var firstVec []string
	if len(words) > 1 {
		if words[1] == "{" {
			needBOB = false
			if len(words) > 2 {
				firstVec = append([]string(nil), words[2:]...)
				if firstVec[len(firstVec)-1] == "}" {
					firstVec = firstVec[:len(firstVec)-1]
					hadEOB = true
				}
				if len(firstVec) == 0 {
					firstVec = nil
				}
			}
		} else {
			p.report(kc.ClassGeneral, "Block "+words[0]+" has extra parameters "+words[1]+" ...")
		}
	}
	if firstVec == nil && hadEOB {
		return
	}
	for {
		var vec []string
		if firstVec != nil {
			vec = firstVec
		} else {
			w, nonEmpty, ok := p.readWords()
			if !ok {
				return
			}
			if !nonEmpty {
				continue
			}
			vec = w
			if needBOB {
				needBOB = false
				if vec[0] == "{" {
					if len(vec) == 1 {
						continue
					}
					vec = vec[1:]
				}
			}
			if vec[len(vec)-1] == "}" {
				if len(vec) == 1 {
					return
				}
				hadEOB = true
				vec = vec[:len(vec)-1]
			}
		}
		if len(vec) > 0 {
			each(vec)
		}
		firstVec = nil
		if hadEOB {
			return
		}
	}
}

// readValueBlock collects all words of a value block.
func (p *parser) readValueBlock(words []string) []string {
	var out []string
	p.valueBlock(words, func(v []string) { out = append(out, v...) })
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

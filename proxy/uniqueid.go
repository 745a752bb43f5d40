package proxy

import "fulcrum/proxy/sample"

var _ sample.UniqueIDEnv = (*Session)(nil)

// UniqueID is the http request's unique ID, computed from the frontend's
// unique-id-format when the request came in; false without one (or in
// tcp mode).
func (s *Session) UniqueID() ([]byte, bool) {
	if s.http == nil || s.http.hrec.UniqueID == nil {
		return nil, false
	}
	return s.http.hrec.UniqueID, true
}

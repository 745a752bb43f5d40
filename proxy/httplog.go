package proxy

import (
	"time"
)

// HTTPRecord is what an access log knows of one HTTP request beyond the
// connection fields of Record.
type HTTPRecord struct {
	Start   time.Time     // when the exchange began (accept, or the end of the previous one)
	TIdle   time.Duration // %Ti: from Start to the request's first byte
	TReq    time.Duration // %TR: time to receive the request head; -1 if never complete
	TResp   time.Duration // %Tr: server's time to the response head; -1 if none
	TActive time.Duration // %Ta: from Start to the end of the response
	Status  int           // %ST
	// Request is the request line (%r), "<BADREQ>" for one refused as
	// malformed; valid during the AccessLog call only, like the captured
	// headers (%hr, %hs; nil entries were absent) and the unique ID.
	Request                  []byte
	ReqCaptures, ResCaptures [][]byte
	UniqueID                 []byte
	// Cookie is the persistence cookie's state (the last two %tsc
	// characters: the client's cookie, the server's); "--" without
	// cookie persistence.
	Cookie [2]byte
	// ASAP marks the line written at the response head (option
	// logasap): %Ta, %Tt and %B are partial.
	ASAP bool
}

// HTTPLog formats r (an http-mode record) as HAProxy's `option httplog`:
//
//	%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
func HTTPLog(r *Record) string {
	return string(AppendHTTPLog(nil, r))
}

// AppendHTTPLog appends HTTPLog's line to dst without allocating beyond it.
func AppendHTTPLog(dst []byte, r *Record) []byte {
	return r.render(dst, httpLogFormat, false)
}

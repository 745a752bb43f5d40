package logformat

import (
	"net/netip"
	"time"
)

// Values are what the engine knows of one connection (tcp mode) or one
// request (http mode) when its log line is written. Durations are -1 when
// the step never happened; byte slices are only read during Render.
type Values struct {
	Client, Frontend netip.AddrPort // %ci:%cp, %fi:%fp (the listener side)
	BackendSrc       netip.AddrPort // %bi:%bp; invalid when no server connection
	Server           netip.AddrPort // %si:%sp; invalid when no server was picked

	Accept       time.Time // %t, %T, %Ts, %ms
	RequestStart time.Time // %tr (http); zero: Accept

	FrontendName string
	SSL          bool // the listener terminated TLS (%ft gets a '~')
	// SSLCipher and SSLVersion are %sslc and %sslv (OpenSSL's names), ""
	// on a plain connection.
	SSLCipher, SSLVersion string
	BackendName           string // "" when no backend: the frontend's name is logged
	ServerName            string // "" when no server: "<NOSRV>"

	// The timers, as HAProxy defines them in its manual (section 8.4).
	Th, Ti, TR, Tw, Tc, Tr, Tt time.Duration
	// Ta is the active time of an http request; negative: Tt-Th-Ti.
	Ta time.Duration

	BytesOut, BytesIn int64 // %B (to the client), %U (from the client)
	Status            int   // %ST
	Term              [2]byte
	Cookie            [2]byte // persistence cookie flags of %tsc; 0 = '-'

	ActConn, FeConn, BeConn, SrvConn int64
	Retries                          int
	Redispatched                     bool
	SrvQueue, BeQueue                int

	// ReqCaptures and ResCaptures are the captured headers, one entry per
	// `capture request/response header` line; a nil entry was not seen.
	ReqCaptures, ResCaptures [][]byte
	// NoStream is true when the reference would have had no stream for
	// the line (a request its parser refused): no captures at all (not
	// even the braces of %hr), no backend for be_name.
	NoStream bool
	// Partial marks a line written before the stream ended (option
	// logasap): %Ta, %Tt, %Tu and %B are values so far, with a '+' prefix.
	Partial bool

	// Request is the HTTP request line (%r), "<BADREQ>" when refused.
	Request  []byte
	UniqueID []byte // %ID; nil when none
	PID      int
	Hostname string
	ReqCount uint64 // %rt
	LogCount uint64 // %lc

	// Ctx is handed to sample evaluators (the engine's session).
	Ctx any
}

// partial appends the '+' of a value known only so far (Partial lines).
func partial(dst []byte, v *Values) []byte {
	if v.Partial {
		return append(dst, '+')
	}
	return dst
}

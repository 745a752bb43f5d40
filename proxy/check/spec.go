// Package check runs HAProxy-style server health checks (TCP connect,
// option httpchk, tcp-check scripts) with rise/fall/inter timing, and
// reports state changes with the reference's wording.
package check

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of health check.
type Kind int

// Check types.
const (
	TCP         Kind = iota // connect only (the default)
	HTTP                    // option httpchk
	TCPCheck                // option tcp-check with Steps
	ExternalCmd             // option external-check: External's command
)

// Spec describes what a check does; it is shared by all servers of a
// backend.
type Spec struct {
	Kind Kind
	// HTTP request (option httpchk / http-check send).
	Method  string   // default OPTIONS
	URI     string   // default /
	Version string   // default HTTP/1.0
	Headers []string // "Name: value" lines
	Body    string
	// Expect is http-check expect; nil = any 2xx or 3xx status.
	Expect *Expect
	// Steps are tcp-check rules, in order.
	Steps []Step
	// Preset marks a protocol check built on tcp-check rules (redis,
	// smtp, ...): HAProxy gives its failures no generic step text.
	Preset bool
	// External is option external-check's command (Kind ExternalCmd).
	External *External
}

// ExpectKind is what an expect rule matches.
type ExpectKind int

// Expect rule kinds.
const (
	ExpectStatus  ExpectKind = iota // HTTP status in a list of codes/ranges
	ExpectRStatus                   // HTTP status matches a regex
	ExpectString                    // body (http) or data (tcp) contains a string
	ExpectRString                   // body/data matches a regex
	ExpectBinary                    // tcp data contains hex-decoded bytes
	ExpectRBinary                   // the hex dump of tcp data matches a regex
	ExpectCustom                    // a protocol's own reply parser (Custom)
)

// Expect is one expect rule.
type Expect struct {
	Kind    ExpectKind
	Negate  bool
	Pattern string
	// ErrorStatus is the status of a failed match (`error-status`);
	// zero means L7RSP.
	ErrorStatus Status
	// OnError computes the info text of a failed match from the data
	// received (`on-error`); nil gives HAProxy's default text.
	OnError func(data []byte) string
	// OnSuccess is the info text of a successful final match
	// (`on-success`).
	OnSuccess string
	// SuccessInfo, when set, computes the success info text from the
	// data received instead.
	SuccessInfo func(data []byte) string
	// StatusCode is `status-code`: the check's code from the data.
	StatusCode func(data []byte) int
	// Custom decides for an ExpectCustom rule, from the data so far and
	// whether the stream ended.
	Custom func(data []byte, eof bool) (Verdict, Result)
	// OkStatus and TimeoutStatus replace L7OK and L7TOUT (`ok-status`,
	// `tout-status`). MinRecv is `min-recv`: once that many bytes are in,
	// a mismatch is final; 0 means unset (wait for a match).
	OkStatus, TimeoutStatus Status
	MinRecv                 int
	re                      *regexp.Regexp
	bin                     []byte
}

// NewExpect compiles an expect rule; pattern is as written in the
// configuration (status lists like "200,300-399" for Status).
func NewExpect(kind ExpectKind, negate bool, pattern string) (*Expect, error) {
	e := &Expect{Kind: kind, Negate: negate, Pattern: pattern}
	switch kind {
	case ExpectRStatus, ExpectRString, ExpectRBinary:
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("invalid regex '%s': %v", pattern, err)
		}
		e.re = re
	case ExpectBinary:
		b, err := decodeHex(pattern)
		if err != nil {
			return nil, err
		}
		e.bin = b
	case ExpectStatus:
		if _, err := matchStatus(pattern, 0); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// matchStatus reports whether code is in a list like "200,300-399".
func matchStatus(list string, code int) (bool, error) {
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		l, err := strconv.Atoi(lo)
		if err != nil {
			return false, fmt.Errorf("invalid status code '%s'", part)
		}
		h := l
		if isRange {
			if h, err = strconv.Atoi(hi); err != nil {
				return false, fmt.Errorf("invalid status range '%s'", part)
			}
		}
		if code >= l && code <= h {
			return true, nil
		}
	}
	return false, nil
}

func decodeHex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("invalid hex string '%s'", s)
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("invalid hex string '%s'", s)
		}
		out[i] = byte(v)
	}
	return out, nil
}

// StepKind is a tcp-check action.
type StepKind int

// tcp-check actions.
const (
	Connect StepKind = iota
	Send
	SendBinary
	ExpectStep
)

// Step is one tcp-check rule.
type Step struct {
	Kind StepKind
	Port uint16 // Connect: port override
	Data string // Send: text; SendBinary: hex
	// Build, when set, makes the bytes to send at each check (for
	// content that changes, like a timestamp).
	Build  func() []byte
	Expect *Expect // ExpectStep
}

// Redis is `option redis-check`: PING, expect +PONG.
func Redis() Spec {
	e, _ := NewExpect(ExpectString, false, "+PONG\r\n")
	e.ErrorStatus = L7STS
	e.OnError = firstLine
	e.OnSuccess = "Redis server is ok"
	return Spec{Kind: TCPCheck, Preset: true, Steps: []Step{{Kind: Send, Data: "*1\r\n$4\r\nPING\r\n"}, {Kind: ExpectStep, Expect: e}}}
}

// firstLine is res.payload(0,0),cut_crlf: the data up to the first CR/LF.
func firstLine(data []byte) string {
	for i, c := range data {
		if c == '\r' || c == '\n' {
			return string(data[:i])
		}
	}
	return string(data)
}

// SSLHello is `option ssl-hello-chk`: an SSLv3 ClientHello, and a TLS
// record of type alert or handshake in reply.
func SSLHello() Spec {
	e, _ := NewExpect(ExpectRBinary, false, "^1[56]")
	e.MinRecv, e.OkStatus, e.ErrorStatus, e.TimeoutStatus = 5, L6OK, L6RSP, L6TOUT
	return Spec{Kind: TCPCheck, Preset: true, Steps: []Step{{Kind: SendBinary, Build: sslv3Hello}, {Kind: ExpectStep, Expect: e}}}
}

// sslv3Hello builds HAProxy's check ClientHello: SSLv3, the current time,
// a fixed 28-byte random, no session, the 39 classic cipher suites
// (0x0001-0x001B, 0x002F-0x003A) and the null compression.
func sslv3Hello() []byte {
	b := []byte{0x16, 0x03, 0x00, 0x00, 0x79, 0x01, 0x00, 0x00, 0x75, 0x03, 0x00}
	b = binary.BigEndian.AppendUint32(b, uint32(time.Now().Unix()))
	b = append(b, "HAPROXYSSLCHK\nHAPROXYSSLCHK\n"...)
	b = append(b, 0x00, 0x00, 0x4e)
	for c := 0x01; c <= 0x3a; c++ {
		if c <= 0x1b || c >= 0x2f {
			b = append(b, 0x00, byte(c))
		}
	}
	return append(b, 0x01, 0x00)
}

package check

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fulcrum/proxy/proxyproto"
)

// Status is the outcome class of one check, as HAProxy names them.
type Status int

// Check statuses (HCHK_STATUS_*).
const (
	L4OK     Status = iota // Layer4 check passed
	L4TOUT                 // Layer4 timeout
	L4CON                  // Layer4 connection problem
	L6OK                   // Layer6 check passed
	L6TOUT                 // Layer6 timeout
	L6RSP                  // Layer6 invalid response
	L7OK                   // Layer7 check passed
	L7TOUT                 // Layer7 timeout
	L7RSP                  // Layer7 invalid response
	L7STS                  // Layer7 wrong status
	SOCKERR                // Socket error
	PROCERR                // External check error
	PROCTOUT               // External check timeout
	PROCOK                 // External check passed
)

var statusText = map[Status]string{
	L4OK:     "Layer4 check passed",
	L4TOUT:   "Layer4 timeout",
	L4CON:    "Layer4 connection problem",
	L6OK:     "Layer6 check passed",
	L6TOUT:   "Layer6 timeout",
	L6RSP:    "Layer6 invalid response",
	L7OK:     "Layer7 check passed",
	L7TOUT:   "Layer7 timeout",
	L7RSP:    "Layer7 invalid response",
	L7STS:    "Layer7 wrong status",
	SOCKERR:  "Socket error",
	PROCERR:  "External check error",
	PROCTOUT: "External check timeout",
	PROCOK:   "External check passed",
}

// Passed reports whether the status counts as a success.
func (s Status) Passed() bool { return s == L4OK || s == L6OK || s == L7OK || s == PROCOK }

// HasCode reports whether the reference shows the check's code with
// this status (HCHK_STATUS_L57DATA and above).
func (s Status) HasCode() bool {
	return s == L7OK || s == L7STS || s == PROCERR || s == PROCTOUT || s == PROCOK
}

// Result is one check's outcome.
type Result struct {
	Status   Status
	Code     int    // HTTP status for L7 results, 0 otherwise
	Info     string // detail, e.g. "Connection refused"
	Duration time.Duration
}

// Reason renders the result as HAProxy's srv_append_status does:
// `reason: X[, code: N][, info: "..."], check duration: Nms`.
func (r Result) Reason() string {
	var b strings.Builder
	b.WriteString("reason: ")
	b.WriteString(statusText[r.Status])
	if r.Status.HasCode() {
		fmt.Fprintf(&b, ", code: %d", r.Code)
	}
	if r.Info != "" {
		fmt.Fprintf(&b, ", info: \"%s\"", asciiEncode(r.Info))
	}
	fmt.Fprintf(&b, ", check duration: %dms", r.Duration.Milliseconds())
	return b.String()
}

// descText is what HAProxy keeps of a check's info text: a C string in
// a 128-byte buffer.
func descText(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) > 127 {
		s = s[:127]
	}
	return s
}

// asciiEncode escapes non-printable bytes, '<', '>' and double quotes as
// HAProxy's chunk_asciiencode.
func asciiEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' {
			fmt.Fprintf(&b, "<%02X>", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Target is where and how one server is checked.
type Target struct {
	Addr netip.AddrPort
	// Current, when set, gives the address at each check instead (a
	// server whose address DNS or the Runtime API changes).
	Current   func() netip.AddrPort
	Inter     time.Duration // between checks while stable
	FastInter time.Duration // while changing state (0 = Inter)
	DownInter time.Duration // while down (0 = Inter)
	Timeout   time.Duration // connect and read bound (0 = Inter)
	Rise      int
	Fall      int
	SendProxy bool // send a PROXY v1 header first (check-send-proxy)
	// Spread is spread-checks: each delay after a check moves randomly
	// within ±Spread percent (spread.go).
	Spread int
	// TLS, when set, runs the check over TLS (check-ssl).
	TLS *tls.Config
	// Dial, when set, connects d to addr instead of d.DialContext (a
	// server's `source`).
	Dial func(ctx context.Context, d net.Dialer, addr string) (net.Conn, error)
	// External describes the server to an external check's command.
	External *ExternalTarget
}

// A SocketError from Target.Dial ends the check as a socket error
// (SOCKERR) with Info, as a SOCKS4 proxy's refusal does.
type SocketError struct{ Info string }

func (e *SocketError) Error() string { return e.Info }

// Transition reports a server changing state.
type Transition struct {
	Up     bool
	Result Result
}

// Checker checks one server until its context ends.
type Checker struct {
	spec   *Spec
	target Target
	// health is HAProxy's check->health: 0..rise+fall-1, up when >= rise.
	health int
	report func(Transition)
	last   Result // the latest result, for the statistics
	// Observed, when set, sees every result, whether its status differs
	// from the previous result's (always for the first), and the health
	// counter before and after it, ahead of the state change it may cause.
	Observed func(r Result, newStatus bool, before, after int)
	observed bool // a result was observed: last is meaningful
	// Paused, when set and true, lets an interval pass without a check
	// (checks disabled from the Runtime API, server in maintenance).
	Paused func() bool
	// Restart, when set, is asked before each check for a health
	// counter to start again from (-1: none), as when a server leaves
	// a maintenance that resets it.
	Restart func() int
}

// New prepares a checker starting in the up state with HAProxy's initial
// health (rise: one failure takes it down). report is called on every
// state change, from the checker's goroutine.
func New(spec *Spec, t Target, report func(Transition)) *Checker {
	if t.Rise <= 0 {
		t.Rise = 2
	}
	if t.Fall <= 0 {
		t.Fall = 3
	}
	if t.Inter <= 0 {
		t.Inter = 2 * time.Second
	}
	if t.FastInter <= 0 {
		t.FastInter = t.Inter
	}
	if t.DownInter <= 0 {
		t.DownInter = t.Inter
	}
	if t.Timeout <= 0 {
		t.Timeout = t.Inter
	}
	return &Checker{spec: spec, target: t, health: t.Rise, report: report}
}

// SetHealth restores a health counter carried over a reload.
func (c *Checker) SetHealth(h int) { c.health = min(max(h, 0), c.target.Rise+c.target.Fall-1) }

// Health returns the current health counter.
func (c *Checker) Health() int { return c.health }

// Thresholds returns rise and fall as the checker applies them (with
// HAProxy's defaults for unset ones).
func (c *Checker) Thresholds() (rise, fall int) { return c.target.Rise, c.target.Fall }

// Up reports whether the server is considered up.
func (c *Checker) Up() bool { return c.health >= c.target.Rise }

// Run checks periodically until ctx ends.
func (c *Checker) Run(ctx context.Context) { c.RunWith(ctx, nil) }

// RunWith is Run calling after (when not nil) after every check, so the
// owner can persist the health counter.
func (c *Checker) RunWith(ctx context.Context, after func()) { c.RunFrom(ctx, c.interval(), after) }

// RunFrom is RunWith with the first check after first (HAProxy spreads
// the first checks of a process over its smallest interval).
func (c *Checker) RunFrom(ctx context.Context, first time.Duration, after func()) {
	every(ctx, first, func() time.Duration {
		if c.Paused != nil && c.Paused() {
			return c.interval()
		}
		if c.Restart != nil {
			if h := c.Restart(); h >= 0 {
				c.SetHealth(h)
			}
		}
		r := c.Once(ctx)
		if ctx.Err() != nil {
			return 0
		}
		c.Observe(r)
		if after != nil {
			after()
		}
		return Spread(c.interval(), c.target.Spread)
	})
}

// every calls check after first, then again after the delay each call
// returns, until ctx ends.
func every(ctx context.Context, first time.Duration, check func() time.Duration) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := check()
		if ctx.Err() != nil {
			return
		}
		t.Reset(next)
	}
}

// interval is inter when stable up, fastinter while transitioning,
// downinter when fully down (HAProxy's srv_getinter).
func (c *Checker) interval() time.Duration {
	max := c.target.Rise + c.target.Fall - 1
	switch {
	case c.health == 0:
		return c.target.DownInter
	case c.health == max:
		return c.target.Inter
	}
	return c.target.FastInter
}

// Observe applies one result to the health counter and reports a state
// change, as set_server_check_status does.
func (c *Checker) Observe(r Result) {
	newStatus, before := !c.observed || c.last.Status != r.Status, c.health
	c.last, c.observed = r, true
	wasUp := c.Up()
	max := c.target.Rise + c.target.Fall - 1
	if r.Status.Passed() {
		if c.health < max {
			c.health++
			if c.health >= c.target.Rise {
				c.health = max
			}
		}
	} else if c.health > 0 {
		c.health--
		if c.health < c.target.Rise {
			c.health = 0
		}
	}
	if c.Observed != nil {
		c.Observed(r, newStatus, before, c.health)
	}
	if up := c.Up(); up != wasUp && c.report != nil {
		c.report(Transition{Up: up, Result: r})
	}
}

// Last returns the latest result Observe applied (call it from the
// checker's goroutine, e.g. in RunWith's after).
func (c *Checker) Last() Result { return c.last }

// Once runs a single check.
func (c *Checker) Once(ctx context.Context) Result {
	return c.timed(func() Result { return c.run(ctx) })
}

// timed runs one check and completes its result: duration, info text.
func (c *Checker) timed(run func() Result) Result {
	start := time.Now()
	r := run()
	r.Duration = time.Since(start)
	r.Info = descText(r.Info)
	return r
}

func (c *Checker) dial(ctx context.Context, port uint16) (net.Conn, *Result) {
	addr := c.target.Addr
	if c.target.Current != nil {
		addr = c.target.Current()
	}
	if port != 0 {
		addr = netip.AddrPortFrom(addr.Addr(), port)
	}
	d := net.Dialer{Timeout: c.target.Timeout}
	dial := c.target.Dial
	if dial == nil {
		dial = func(ctx context.Context, d net.Dialer, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	conn, err := dial(ctx, d, addr.String())
	if err != nil {
		if se := (*SocketError)(nil); errors.As(err, &se) {
			return nil, &Result{Status: SOCKERR, Info: se.Info}
		}
		if isTimeout(err) {
			return nil, &Result{Status: L4TOUT}
		}
		return nil, &Result{Status: L4CON, Info: connectErrText(err)}
	}
	if c.target.SendProxy {
		hdr := proxyproto.AppendV1(nil, netip.AddrPort{}, netip.AddrPort{})
		if _, err := conn.Write(hdr); err != nil {
			conn.Close()
			return nil, &Result{Status: L4CON, Info: ErrnoText(err)}
		}
	}
	conn.SetDeadline(time.Now().Add(c.target.Timeout))
	if c.target.TLS != nil {
		tc := tls.Client(conn, c.target.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			if isTimeout(err) {
				return nil, &Result{Status: L6TOUT}
			}
			return nil, &Result{Status: L6RSP, Info: "SSL handshake failure"}
		}
		conn = tc
	}
	return conn, nil
}

func (c *Checker) run(ctx context.Context) Result {
	switch c.spec.Kind {
	case HTTP:
		return c.runHTTP(ctx)
	case TCPCheck:
		return c.runTCPCheck(ctx)
	case ExternalCmd:
		return c.runExternal(ctx)
	}
	conn, fail := c.dial(ctx, 0)
	if fail != nil {
		return *fail
	}
	conn.Close()
	return Result{Status: L4OK}
}

func (c *Checker) runHTTP(ctx context.Context) Result {
	conn, fail := c.dial(ctx, 0)
	if fail != nil {
		return *fail
	}
	defer conn.Close()
	s := c.spec
	method, uri, version := or(s.Method, "OPTIONS"), or(s.URI, "/"), or(s.Version, "HTTP/1.0")
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s %s\r\n", method, uri, version)
	for _, h := range s.Headers {
		req.WriteString(h + "\r\n")
	}
	if s.Body != "" {
		fmt.Fprintf(&req, "content-length: %d\r\n", len(s.Body))
	}
	req.WriteString("\r\n" + s.Body)
	if _, err := conn.Write(req.Bytes()); err != nil {
		return Result{Status: L4CON, Info: ErrnoText(err)}
	}
	// Read the whole response (HTTP/1.0: until close) within the timeout.
	resp, err := io.ReadAll(io.LimitReader(conn, 16384))
	if err != nil && len(resp) == 0 {
		if isTimeout(err) {
			return Result{Status: L7TOUT}
		}
		return Result{Status: L7RSP, Info: ErrnoText(err)}
	}
	return evalHTTP(s.Expect, resp)
}

// evalHTTP checks a raw HTTP response against an expect rule.
func evalHTTP(e *Expect, resp []byte) Result {
	line, rest, _ := bytes.Cut(resp, []byte("\r\n"))
	f := strings.SplitN(string(line), " ", 3)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") || len(f[1]) != 3 {
		return Result{Status: L7RSP, Info: "Invalid response"}
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return Result{Status: L7RSP, Info: "Invalid response"}
	}
	reason := ""
	if len(f) == 3 {
		reason = f[2]
	}
	_, body, _ := bytes.Cut(rest, []byte("\r\n\r\n"))
	if e == nil {
		if code >= 200 && code < 400 {
			return Result{Status: L7OK, Code: code}
		}
		return Result{Status: L7STS, Code: code, Info: reason}
	}
	var ok bool
	switch e.Kind {
	case ExpectStatus:
		ok, _ = matchStatus(e.Pattern, code)
	case ExpectRStatus:
		ok = e.re.MatchString(f[1])
	case ExpectString:
		ok = bytes.Contains(body, []byte(e.Pattern))
	case ExpectRString:
		ok = e.re.Match(body)
	}
	// A passed check carries no info text, a failed one the reason phrase.
	if ok != e.Negate {
		return Result{Status: L7OK, Code: code}
	}
	switch e.Kind {
	case ExpectStatus, ExpectRStatus:
		return Result{Status: L7STS, Code: code, Info: reason}
	}
	return Result{Status: L7RSP, Code: code, Info: "HTTP content check did not match"}
}

func (c *Checker) runTCPCheck(ctx context.Context) Result {
	var conn net.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	steps := c.spec.Steps
	// An implicit first connect when the script has none; HAProxy does
	// not count it in step numbers.
	first := 1
	if len(steps) == 0 || steps[0].Kind != Connect {
		steps = append([]Step{{Kind: Connect}}, steps...)
		first = 0
	}
	// in is HAProxy's check input buffer: a send empties it, consecutive
	// expect rules all look at the same bytes (MySQL's and SMTP's checks
	// rely on it).
	in := &input{}
	for i, st := range steps {
		step := i + first
		switch st.Kind {
		case Connect:
			if conn != nil {
				conn.Close()
			}
			var fail *Result
			conn, fail = c.dial(ctx, st.Port)
			if fail != nil {
				switch {
				case c.spec.Preset:
				case step == 0:
					fail.Info = strings.TrimSpace(fail.Info + " at initial connection step of tcp-check")
				case st.Port != 0:
					fail.Info = strings.TrimSpace(fail.Info + fmt.Sprintf(" at step %d of tcp-check (connect port %d)", step, st.Port))
				default:
					fail.Info = strings.TrimSpace(fail.Info + fmt.Sprintf(" at step %d of tcp-check (connect)", step))
				}
				return *fail
			}
			in = &input{rd: conn}
		case Send, SendBinary:
			b := []byte(st.Data)
			if st.Build != nil {
				b = st.Build()
			} else if st.Kind == SendBinary {
				var err error
				if b, err = decodeHex(st.Data); err != nil {
					return Result{Status: SOCKERR, Info: err.Error()}
				}
			}
			if _, err := conn.Write(b); err != nil {
				return Result{Status: L7RSP, Info: fmt.Sprintf("%s at step %d of tcp-check (send)", ErrnoText(err), step)}
			}
			in.data, in.mustRead = in.data[:0], true
		case ExpectStep:
			if r, ok := c.expect(in, st.Expect, step); !ok {
				return r
			}
		}
	}
	return c.passed(steps[len(steps)-1], in.data, first == 0 && len(steps) == 1)
}

// passed is the result of a script that ran to its end, from its last
// rule as HAProxy words it.
func (c *Checker) passed(last Step, data []byte, implicit bool) Result {
	switch {
	case last.Kind == Connect && implicit:
		return Result{Status: L4OK}
	case last.Kind == Connect:
		return Result{Status: L4OK, Info: "(tcp-check)"}
	case last.Kind != ExpectStep:
		return Result{Status: L7OK, Info: "(tcp-check)"}
	}
	e := last.Expect
	r := Result{Status: L7OK, Info: e.OnSuccess}
	if e.OkStatus != 0 {
		r.Status = e.OkStatus
	}
	if e.SuccessInfo != nil {
		r.Info = e.SuccessInfo(data)
	}
	if r.Info == "" && !c.spec.Preset {
		r.Info = "(tcp-check)"
	}
	if e.StatusCode != nil {
		r.Code = e.StatusCode(data)
	}
	return r
}

// input is what a check has read from its connection.
type input struct {
	rd       io.Reader
	data     []byte
	eof      bool
	mustRead bool
}

// bufSize is HAProxy's check buffer (tune.chksize): a full buffer is as
// final as the end of the stream.
const bufSize = 16384

// read appends what the next read returns; the error is the read's,
// io.EOF included.
func (in *input) read() error {
	var buf [4096]byte
	n, err := in.rd.Read(buf[:min(len(buf), bufSize-len(in.data))])
	in.data = append(in.data, buf[:n]...)
	if err == io.EOF || len(in.data) >= bufSize {
		in.eof = true
	}
	return err
}

// Verdict is what an expect rule decides on the data so far.
type Verdict int

// Expect verdicts (TCPCHK_EVAL_*).
const (
	Wait     Verdict = iota // need more data
	Continue                // matched: go on with the next rule
	Stop                    // failed: the result is final
)

// expect evaluates e, reading more while it waits, and words a failure
// as HAProxy does.
func (c *Checker) expect(in *input, e *Expect, step int) (Result, bool) {
	for {
		if in.mustRead || len(in.data) == 0 && !in.eof {
			in.mustRead = false
			if r, ok := c.recv(in, e, step); !ok {
				return r, false
			}
		}
		v, r := c.evalExpect(e, in.data, in.eof, step)
		switch v {
		case Continue:
			return Result{}, true
		case Stop:
			return r, false
		}
		in.mustRead = true
	}
}

// recv reads once for an expect rule: a timeout, or an end of stream
// with nothing received, ends the check.
func (c *Checker) recv(in *input, e *Expect, step int) (Result, bool) {
	if in.eof {
		return Result{}, true
	}
	err := in.read()
	switch {
	case isTimeout(err):
		r := Result{Status: L7TOUT}
		if e.TimeoutStatus != 0 {
			r.Status = e.TimeoutStatus
		}
		if !c.spec.Preset {
			r.Info = fmt.Sprintf(" at step %d of tcp-check (expect %s)", step, expectDesc(e))
		}
		return r, false
	case err != nil && err != io.EOF && len(in.data) == 0:
		return Result{Status: L7RSP, Info: ErrnoText(err)}, false
	case in.eof && len(in.data) == 0:
		r := Result{Status: L7RSP, Info: fmt.Sprintf("TCPCHK got an empty response at step %d", step)}
		if e.ErrorStatus != 0 {
			r.Status = e.ErrorStatus
		}
		return r, false
	case err != nil:
		in.eof = true
	}
	return Result{}, true
}

// evalExpect is tcpcheck_eval_expect: it decides on the data so far.
func (c *Checker) evalExpect(e *Expect, data []byte, eof bool, step int) (Verdict, Result) {
	if e.Kind == ExpectCustom {
		return e.Custom(data, eof)
	}
	if !eof {
		if (e.Kind == ExpectString || e.Kind == ExpectBinary) && len(data) < len(e.Pattern)/patternWidth(e) {
			return Wait, Result{}
		}
		if e.MinRecv > 0 && len(data) < e.MinRecv {
			return Wait, Result{}
		}
	}
	matched := matchData(e, data)
	if !matched && !eof && e.MinRecv <= 0 {
		return Wait, Result{}
	}
	if matched != e.Negate {
		return Continue, Result{}
	}
	r := Result{Status: L7RSP}
	if e.ErrorStatus != 0 {
		r.Status = e.ErrorStatus
	}
	switch {
	case e.OnError != nil:
		r.Info = e.OnError(data)
	case c.spec.Preset:
	default:
		verb := "TCPCHK did not match content"
		if matched {
			verb = "TCPCHK matched unwanted content"
		}
		r.Info = verb + mismatchDesc(e) + fmt.Sprintf(" at step %d", step)
	}
	if e.StatusCode != nil {
		r.Code = e.StatusCode(data)
	}
	return Stop, r
}

// patternWidth is how many pattern characters make one byte of data.
func patternWidth(e *Expect) int {
	if e.Kind == ExpectBinary {
		return 2
	}
	return 1
}

func mismatchDesc(e *Expect) string {
	switch e.Kind {
	case ExpectString:
		return " '" + e.Pattern + "'"
	case ExpectBinary:
		return " (binary)"
	case ExpectRBinary:
		return " (binary regex)"
	}
	return " (regex)"
}

func matchData(e *Expect, data []byte) bool {
	switch e.Kind {
	case ExpectString:
		return bytes.Contains(data, []byte(e.Pattern))
	case ExpectRString:
		return e.re.Match(data)
	case ExpectBinary:
		return bytes.Contains(data, e.bin)
	case ExpectRBinary:
		return e.re.MatchString(strings.ToUpper(hex.EncodeToString(data)))
	}
	return false
}

func expectDesc(e *Expect) string {
	switch e.Kind {
	case ExpectString:
		return "string '" + e.Pattern + "'"
	case ExpectBinary:
		return "binary '" + e.Pattern + "'"
	case ExpectRString:
		return "regex"
	}
	return "custom function"
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// connectErrText is a failed connect as HAProxy reports it: an error the
// kernel returns from connect() itself (no route, a firewall's refusal)
// is a "General socket error (strerror)", one found later on the socket
// (a refused or unreachable peer) is strerror alone. Go reports both the
// same way, so the errno tells: these are the synchronous ones.
func connectErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) && (errno == syscall.ENETUNREACH || errno == syscall.EACCES || errno == syscall.EPERM) {
		return "General socket error (" + ErrnoText(err) + ")"
	}
	return ErrnoText(err)
}

// ErrnoText is strerror(errno) as HAProxy prints it ("Connection refused").
func ErrnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

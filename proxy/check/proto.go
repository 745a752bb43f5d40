package check

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// This file holds the protocol checks HAProxy builds from tcp-check
// rules: option smtpchk, pgsql-check, mysql-check and ldap-check. Each
// sends what the reference sends and reads the reply with the same rules,
// so a server gets the same verdict and the log the same words.

// mustExpect compiles a preset's expect rule; its pattern is a constant.
func mustExpect(kind ExpectKind, negate bool, pattern string) *Expect {
	e, err := NewExpect(kind, negate, pattern)
	if err != nil {
		panic(err)
	}
	return e
}

// SMTP is `option smtpchk [HELO|EHLO domain]`: the banner must be a 2xx
// reply, then cmd (default "HELO localhost") and QUIT must be answered
// with 2xx.
func SMTP(cmd string) Spec {
	if cmd == "" {
		cmd = "HELO localhost"
	}
	banner := mustExpect(ExpectRString, false, "^[0-9]{3}[ \r]")
	banner.MinRecv, banner.ErrorStatus, banner.OnError = 4, L7RSP, firstLine
	ready := smtpReply("^2[0-9]{2}[ \r]", 4, false)
	greeted := smtpReply("^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]", 0, true)
	quit := smtpReply("^2[0-9]{2}[- \r]", 4, true)
	return Spec{Kind: TCPCheck, Preset: true, Steps: []Step{{Kind: Connect},
		{Kind: ExpectStep, Expect: banner}, {Kind: ExpectStep, Expect: ready},
		{Kind: Send, Data: cmd + "\r\n"}, {Kind: ExpectStep, Expect: greeted},
		{Kind: Send, Data: "QUIT\r\n"}, {Kind: ExpectStep, Expect: quit}}}
}

// smtpReply expects a 2xx SMTP reply; its code is the check's code and
// its text (after the code) the info.
func smtpReply(re string, minRecv int, infoOnSuccess bool) *Expect {
	e := mustExpect(ExpectRString, false, re)
	e.MinRecv, e.ErrorStatus, e.OnError, e.StatusCode = minRecv, L7STS, smtpText, replyCode
	if infoOnSuccess {
		e.SuccessInfo = smtpText
	}
	return e
}

// smtpText is res.payload(4,0),ltrim(' '),cut_crlf: the reply's text.
func smtpText(data []byte) string {
	if len(data) < 4 {
		return ""
	}
	return firstLine([]byte(strings.TrimLeft(string(data[4:]), " ")))
}

// replyCode is res.payload(0,3) as an integer (0 when not a number).
func replyCode(data []byte) int {
	if len(data) < 3 {
		return 0
	}
	n, err := strconv.Atoi(string(data[:3]))
	if err != nil {
		return 0
	}
	return n
}

// PgSQL is `option pgsql-check user U`: a protocol 3.0 startup message
// for U; the server must not answer with an error and must ask for an
// authentication HAProxy knows (or accept at once).
func PgSQL(user string) Spec {
	msg := binary.BigEndian.AppendUint32(nil, uint32(15+len(user)))
	msg = append(msg, 0, 3, 0, 0)
	msg = append(msg, "user\x00"...)
	msg = append(append(msg, user...), 0, 0)
	notErr := mustExpect(ExpectRString, true, "^E")
	notErr.MinRecv, notErr.ErrorStatus = 5, L7RSP
	notErr.OnError = func(data []byte) string {
		if len(data) < 6 {
			return ""
		}
		return string(data[6:])
	}
	auth := mustExpect(ExpectRBinary, false, "^52000000[A-Z0-9]{2}000000(00|02|03|04|05|06|07|09|0A)")
	auth.MinRecv, auth.ErrorStatus = 9, L7STS
	auth.OnSuccess = "PostgreSQL server is ok"
	auth.OnError = func([]byte) string { return "PostgreSQL unknown error" }
	return Spec{Kind: TCPCheck, Preset: true, Steps: []Step{{Kind: Connect},
		{Kind: SendBinary, Data: hex.EncodeToString(msg)},
		{Kind: ExpectStep, Expect: notErr}, {Kind: ExpectStep, Expect: auth}}}
}

// MySQL client protocol versions of `option mysql-check user U <ver>`.
const (
	MySQLPost41 = "post-41" // the default
	MySQLPre41  = "pre-41"
	MySQLPost80 = "post-80" // a later HAProxy's: asks for mysql_native_password
)

// MySQL is `option mysql-check [user U [pre-41|post-41|post-80]]`.
// Without a user it only reads the server's greeting; with one it also
// logs in as U without password and quits, and the server must not
// answer with an error packet.
func MySQL(user, version string) (Spec, error) {
	steps := []Step{{Kind: Connect}}
	if user != "" {
		var body []byte
		switch version {
		case "", MySQLPost41, MySQLPost80:
			caps := []byte{0x00, 0x82, 0x00, 0x00}
			if version == MySQLPost80 {
				caps[2] = 0x08
			}
			body = append(caps, 0x00, 0x80, 0x00, 0x01, 0x21)
			body = append(body, make([]byte, 23)...)
			body = append(append(body, user...), 0, 0)
			if version == MySQLPost80 {
				body = append(body, "mysql_native_password\x00"...)
			}
		case MySQLPre41:
			body = append([]byte{0x00, 0x80, 0x00, 0x00, 0x01}, user...)
			body = append(body, 0, 0)
		default:
			return Spec{}, fmt.Errorf("only supports 'post-41', 'pre-41' and 'post-80' (got '%s')", version)
		}
		n := len(body)
		pkt := append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 1}, body...)
		pkt = append(pkt, 0x01, 0x00, 0x00, 0x00, 0x01) // COM_QUIT
		steps = append(steps, Step{Kind: SendBinary, Data: hex.EncodeToString(pkt)})
	}
	steps = append(steps, Step{Kind: ExpectStep, Expect: &Expect{Kind: ExpectCustom, Custom: mysqlGreeting}})
	if user != "" {
		steps = append(steps, Step{Kind: ExpectStep, Expect: &Expect{Kind: ExpectCustom, Custom: mysqlLoggedIn}})
	}
	return Spec{Kind: TCPCheck, Preset: true, Steps: steps}, nil
}

// mysqlGreeting reads the server's first packet.
func mysqlGreeting(data []byte, eof bool) (Verdict, Result) {
	return mysqlPacket(data, 0, eof)
}

// mysqlLoggedIn reads the packet after the greeting: the answer to the
// login.
func mysqlLoggedIn(data []byte, eof bool) (Verdict, Result) {
	if len(data) < 3 {
		return mysqlPacket(data, len(data), eof)
	}
	return mysqlPacket(data, 4+mysqlLen(data), eof)
}

func mysqlLen(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// mysqlPacket checks the packet at off: complete, and not an error
// packet (0xff, code, message).
func mysqlPacket(data []byte, off int, eof bool) (Verdict, Result) {
	if len(data) < off+4 || len(data) < off+4+mysqlLen(data[off:]) {
		if !eof {
			return Wait, Result{}
		}
		return Stop, Result{Status: L7RSP}
	}
	if len(data) > off+4 && data[off+4] == 0xff {
		r := Result{Status: L7STS}
		if len(data) >= off+7 {
			r.Code = int(data[off+5]) | int(data[off+6])<<8
			r.Info = string(data[off+7:])
		}
		return Stop, r
	}
	// Success: HAProxy words a passed script from its last rule, which
	// gives these protocol checks no info text.
	return Continue, Result{}
}

// LDAP is `option ldap-check`: an anonymous simple bind, and a
// successful BindResponse in reply.
func LDAP() Spec {
	ber := mustExpect(ExpectRBinary, false, "^30")
	ber.MinRecv = 14
	ber.OnError = func([]byte) string { return notLDAP }
	return Spec{Kind: TCPCheck, Preset: true, Steps: []Step{
		{Kind: SendBinary, Data: "300C020101600702010304008000"},
		{Kind: ExpectStep, Expect: ber},
		{Kind: ExpectStep, Expect: &Expect{Kind: ExpectCustom, Custom: ldapBindResponse}}}}
}

const notLDAP = "Not LDAPv3 protocol"

// ldapBindResponse reads an LDAPMessage (RFC 4511) holding a
// BindResponse with message ID 1, and passes on resultCode 0.
func ldapBindResponse(data []byte, eof bool) (Verdict, Result) {
	short := func() (Verdict, Result) {
		if !eof {
			return Wait, Result{}
		}
		return Stop, Result{Status: L7RSP}
	}
	bad := Result{Status: L7RSP, Info: notLDAP}
	if len(data) < 2 {
		return short()
	}
	p := 1
	n, size := 0, int(data[p])
	if data[p]&0x80 != 0 {
		n = int(data[p] & 0x7f)
		if len(data) < p+1+n {
			return short()
		}
		switch n {
		case 4:
			size = int(binary.BigEndian.Uint32(data[p+1:]))
		case 2:
			size = int(binary.BigEndian.Uint16(data[p+1:]))
		default:
			return Stop, bad
		}
	}
	p += 1 + n
	if size < 0 || len(data) < 2+n+size || len(data) < p+4 {
		return short()
	}
	if string(data[p:p+4]) != "\x02\x01\x01\x61" {
		return Stop, bad
	}
	p += 4
	if p < len(data) && data[p]&0x80 != 0 {
		p += int(data[p] & 0x7f)
	}
	p++
	if len(data) < p+3 {
		return short()
	}
	if data[p] != 0x0a || data[p+1] != 0x01 {
		return Stop, bad
	}
	if code := int(data[p+2]); code != 0 {
		return Stop, Result{Status: L7STS, Code: code, Info: "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"}
	}
	return Continue, Result{}
}

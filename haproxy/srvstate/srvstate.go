// Package srvstate reads HAProxy's server state files (version 1), as
// written by the Runtime API's `show servers state` and loaded at start
// with `load-server-state-from-file`.
package srvstate

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Field positions of a version 1 line.
const (
	fBeID = iota
	fBeName
	fSrvID
	fSrvName
	fSrvAddr
	fOpState
	fAdminState
	fUWeight
	fIWeight
	fSinceChange
	fCheckStatus
	fCheckResult
	fCheckHealth
	fCheckState
	fAgentState
	fBkForcedID
	fSrvForcedID
	fFQDN
	fPort
	fSRVRecord
	// minFields: the reference refuses shorter lines (and the whole file
	// with them); longer ones are read, the extra fields ignored.
	minFields
)

// ErrVersion is a file whose first line is not version 1.
var ErrVersion = errors.New("can't get version")

// CorruptError is a line too short to be a server's: the reference then
// applies nothing from the file.
type CorruptError struct{ Line int }

func (e *CorruptError) Error() string { return fmt.Sprintf("corrupted at line %d", e.Line) }

// Line is one server's saved line.
type Line struct {
	Num    int
	Fields []string
}

// Backend and Server name the line's server.
func (l Line) Backend() string { return l.Fields[fBeName] }
func (l Line) Server() string  { return l.Fields[fSrvName] }

// File is a parsed state file: the first line of each backend/server
// (later duplicates are ignored, as in the reference).
type File struct {
	lines map[[2]string]Line
}

// Parse reads a state file's contents.
func Parse(data string) (*File, error) {
	text := strings.Split(data, "\n")
	if len(text) > 0 && text[len(text)-1] == "" {
		text = text[:len(text)-1]
	}
	if len(text) == 0 {
		return nil, ErrVersion
	}
	// The first line is the version; a line of several words there is
	// taken as data in version 1, as the reference does.
	first := 1
	if v := strings.TrimLeft(text[0], " \t"); len(strings.Fields(v)) < 2 || v[0] == '#' {
		if v != "1" {
			return nil, ErrVersion
		}
	} else {
		first = 0
	}
	f := &File{lines: map[[2]string]Line{}}
	for i := first; i < len(text); i++ {
		t := strings.TrimLeft(text[i], " \t")
		if t == "" || t[0] == '#' {
			continue
		}
		words := strings.Fields(t)
		if len(words) < minFields {
			// The reference counts the lines after the first.
			return nil, &CorruptError{Line: i}
		}
		key := [2]string{words[fBeName], words[fSrvName]}
		if _, dup := f.lines[key]; !dup {
			f.lines[key] = Line{Num: i + 1, Fields: words}
		}
	}
	return f, nil
}

// Lookup finds the saved line of backend/server.
func (f *File) Lookup(backend, server string) (Line, bool) {
	if f == nil {
		return Line{}, false
	}
	l, ok := f.lines[[2]string{backend, server}]
	return l, ok
}

// State is what a line says, decoded and checked.
type State struct {
	OpState     int // 0 stopped, 1 starting, 2 running, 3 stopping
	AdminFlags  int // SRV_ADMF_*
	UWeight     int
	IWeight     int
	SinceChange int // seconds
	CheckStatus int // HCHK_STATUS_*
	CheckState  int // CHK_ST_*
	Port        int
	// Addr is srv_addr (invalid for "-" or anything not an address).
	Addr netip.Addr
}

// Decode checks the fields the reference checks, in its order, and gives
// its complaint about the first bad one ("invalid srv_op_state value
// 'x'").
func (l Line) Decode() (State, error) {
	var st State
	for _, c := range []struct {
		idx  int
		name string
		max  int64
		dst  *int
	}{
		{fOpState, "srv_op_state", 3, &st.OpState},
		{fAdminState, "srv_admin_state", 127, &st.AdminFlags},
		{fUWeight, "srv_uweight", 256, &st.UWeight},
		{fIWeight, "srv_iweight", 256, &st.IWeight},
		{fSinceChange, "srv_time_since_last_change", 1 << 31, &st.SinceChange},
		{fCheckStatus, "srv_check_status", 255, &st.CheckStatus},
		{fCheckResult, "srv_check_result", 255, nil},
		{fCheckHealth, "srv_check_health", 1 << 31, nil},
		{fCheckState, "srv_check_state", 255, &st.CheckState},
		{fAgentState, "srv_agent_state", 255, nil},
		{fBkForcedID, "bk_f_forced_id", 1, nil},
		{fSrvForcedID, "srv_f_forced_id", 1, nil},
		{fPort, "srv_port", 65535, &st.Port},
	} {
		v := l.Fields[c.idx]
		n, err := strconv.ParseInt(v, 10, 64)
		bad := err != nil || n < 0 || n > c.max
		// Forced maintenance and forced drain together is no state.
		bad = bad || c.idx == fAdminState && n&0x09 == 0x09
		if bad {
			return State{}, fmt.Errorf("invalid %s value '%s'", c.name, v)
		}
		if c.dst != nil {
			*c.dst = int(n)
		}
	}
	st.Addr, _ = netip.ParseAddr(l.Fields[fSrvAddr])
	return st, nil
}

package srvstate

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

const header = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"

const s1 = "2 b 1 s1 127.0.0.1 2 0 5 10 7 6 3 4 6 0 0 0 - 8080 - 0 0 - - 0\n"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		desc, text string
		err        error
		corruptAt  int
		found      bool
	}{
		{desc: "saved file", text: "1\n" + header + s1 + "\n", found: true},
		{desc: "leading blanks in version", text: " 1\n" + s1, found: true},
		{desc: "no version line: data is version 1", text: s1, found: true},
		{desc: "other version", text: "2\n" + s1, err: ErrVersion},
		{desc: "trailing blank after version", text: "1 \n" + s1, err: ErrVersion},
		{desc: "header first", text: header + s1, err: ErrVersion},
		{desc: "empty", text: "", err: ErrVersion},
		{desc: "extra fields", text: "1\n" + strings.TrimSuffix(s1, "\n") + " extra\n", found: true},
		{desc: "short line", text: "1\n" + header + s1 + "2 b 2 s2 127.0.0.1 2\n", corruptAt: 3},
		{desc: "other server only", text: "1\n" + strings.Replace(s1, " s1 ", " s9 ", 1)},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			f, err := Parse(tc.text)
			var ce *CorruptError
			switch {
			case tc.corruptAt > 0:
				if !errors.As(err, &ce) || ce.Line != tc.corruptAt {
					t.Fatalf("error %v, want corruption at line %d", err, tc.corruptAt)
				}
				return
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if _, ok := f.Lookup("b", "s1"); ok != tc.found {
				t.Errorf("found %v, want %v", ok, tc.found)
			}
		})
	}
}

func TestFirstLineWins(t *testing.T) {
	f, err := Parse("1\n" + s1 + strings.Replace(s1, " 2 0 5 10 ", " 0 0 5 10 ", 1))
	if err != nil {
		t.Fatal(err)
	}
	l, _ := f.Lookup("b", "s1")
	if st, _ := l.Decode(); st.OpState != 2 {
		t.Errorf("op state %d, want the first line's 2", st.OpState)
	}
}

func TestDecode(t *testing.T) {
	fields := strings.Fields(s1)
	with := func(i int, v string) Line {
		f := append([]string(nil), fields...)
		f[i] = v
		return Line{Fields: f}
	}
	st, err := Line{Fields: fields}.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if want := (State{OpState: 2, UWeight: 5, IWeight: 10, SinceChange: 7, CheckStatus: 6, CheckState: 6, Port: 8080, Addr: netip.MustParseAddr("127.0.0.1")}); st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	for _, tc := range []struct {
		desc string
		line Line
		want string
	}{
		{"op state not a number", with(fOpState, "x"), "invalid srv_op_state value 'x'"},
		{"op state out of range", with(fOpState, "7"), "invalid srv_op_state value '7'"},
		{"maintenance and drain", with(fAdminState, "9"), "invalid srv_admin_state value '9'"},
		{"admin state out of range", with(fAdminState, "128"), "invalid srv_admin_state value '128'"},
		{"weight", with(fUWeight, "300"), "invalid srv_uweight value '300'"},
		{"port", with(fPort, "99999"), "invalid srv_port value '99999'"},
		{"forced id", with(fSrvForcedID, "2"), "invalid srv_f_forced_id value '2'"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := tc.line.Decode(); err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1\n" + header + s1, s1, "2\n", "1\n2 b 1\n", "\n\n", "1\n#\n \n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		file, err := Parse(text)
		if err != nil {
			return
		}
		for _, l := range file.lines {
			if len(l.Fields) < minFields {
				t.Fatalf("short line kept: %q", l.Fields)
			}
			l.Decode()
		}
	})
}

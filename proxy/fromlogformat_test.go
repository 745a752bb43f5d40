package proxy

import (
	"strings"
	"testing"

	"fulcrum/confparse"
)

// TestAccessLogAdapter: the logging keywords map onto the frontend's
// AccessLog, with the reference's messages for formats it refuses.
func TestAccessLogAdapter(t *testing.T) {
	const head = "defaults\n\tmode %s\n\ttimeout client 1s\n\ttimeout server 1s\n\ttimeout connect 1s\n"
	tests := []struct {
		desc, mode, lines string
		wantFormat        string // the format the frontend renders ("" = none)
		wantDiag          string // a substring of the one diagnostic expected
		check             func(t *testing.T, l *AccessLog)
	}{
		{desc: "no format", mode: "tcp", wantFormat: "Connect from %ci:%cp to %fi:%fp (%f/TCP)"},
		{desc: "tcplog", mode: "tcp", lines: "option tcplog", wantFormat: "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq"},
		{desc: "httplog in http", mode: "http", lines: "option httplog", wantFormat: "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"},
		{desc: "httplog clf", mode: "http", lines: "option httplog clf", wantFormat: "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl"},
		{desc: "last one wins", mode: "http", lines: "option httplog\n\tlog-format \"%ci %ST\"", wantFormat: "%ci %ST"},
		{desc: "unknown variable", mode: "http", lines: "log-format \"%ci %zz\"",
			wantDiag: ": failed to parse log-format : no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'."},
		{desc: "http variable in tcp", mode: "tcp", lines: "log-format \"%r\"",
			wantDiag: "failed to parse log-format : format variable 'r' is reserved for HTTP mode."},
		{desc: "unknown fetch", mode: "tcp", lines: "log-format \"%[nosuch] x\"",
			wantDiag: "failed to parse log-format : failed to parse sample expression <nosuch] x> : unknown fetch method 'nosuch'."},
		{desc: "header fetch", mode: "http", lines: "log-format \"%[req.hdr(host)]\"",
			wantDiag: "failed to parse log-format : sample fetch <req.hdr(host)]> may not be reliably used here because it needs 'HTTP request headers' which is not available here."},
		{desc: "bad unique-id", mode: "http", lines: "unique-id-format %zz", wantDiag: "failed to parse unique-id : no such format variable 'zz'."},
		{desc: "options, captures, unique id", mode: "http",
			lines: "option httplog\n\toption dontlog-normal\n\toption log-separate-errors\n\tcapture request header Host len 20\n\tdeclare capture request len 8\n" +
				"\tcapture response header X-Srv len 5\n\tunique-id-format %{+X}o\\ %ci\n\tunique-id-header X-ID\n\tlog-format-sd \"[x@1 f=%f]\"",
			wantFormat: "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r",
			check: func(t *testing.T, l *AccessLog) {
				if !l.DontLogNormal || !l.SeparateErrors || l.DontLogNull {
					t.Errorf("options %+v", l)
				}
				if len(l.ReqCaptures) != 2 || l.ReqCaptures[0] != (Capture{"Host", 20}) || l.ReqCaptures[1] != (Capture{"", 8}) ||
					len(l.ResCaptures) != 1 || l.ResCaptures[0] != (Capture{"X-Srv", 5}) {
					t.Errorf("captures %v %v", l.ReqCaptures, l.ResCaptures)
				}
				if l.UniqueID.String() != "%{+X}o %ci" || l.UniqueIDHeader != "X-ID" || l.SD.String() != "[x@1 f=%f]" {
					t.Errorf("unique id %q header %q sd %q", l.UniqueID, l.UniqueIDHeader, l.SD)
				}
			}},
		{desc: "capture cookie warned", mode: "http", lines: "capture cookie SRV len 10", wantDiag: "'capture cookie' is not acted on yet by Fulcrum",
			wantFormat: "Connect from %ci:%cp to %fi:%fp (%f/HTTP)"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			text := strings.Replace(head, "%s", tc.mode, 1) + "frontend fe\n\tbind 127.0.0.1:9\n\t" + tc.lines + "\n\tdefault_backend be\nbackend be\n\tserver s1 127.0.0.1:1\n"
			cfg, diags := adapt(t, text)
			var msgs []string
			for _, d := range diags {
				msgs = append(msgs, d.Message)
			}
			all := strings.Join(msgs, "\n")
			if tc.wantDiag == "" && len(diags) > 0 || tc.wantDiag != "" && (len(diags) != 1 || !strings.Contains(all, tc.wantDiag)) {
				t.Fatalf("diagnostics:\n%s\nwant one with %q", all, tc.wantDiag)
			}
			if tc.wantDiag != "" && strings.Contains(tc.wantDiag, "failed to parse") {
				if diags[0].Severity != confparse.Alert || !strings.HasPrefix(diags[0].Message, "Parsing [") {
					t.Errorf("want an alert worded 'Parsing [f:l]: ...', got %v %q", diags[0].Severity, diags[0].Message)
				}
				return
			}
			l := cfg.Frontends[0].Log
			got := ""
			if l != nil && l.Format != nil {
				got = l.Format.String()
			}
			if got != tc.wantFormat {
				t.Errorf("format %q, want %q", got, tc.wantFormat)
			}
			if tc.check != nil {
				tc.check(t, l)
			}
		})
	}
}

// TestRecordLevel: the reference's notion of an error decides what
// dontlog-normal drops and what log-separate-errors raises.
func TestRecordLevel(t *testing.T) {
	f := mustCompile("%f", false)
	tests := []struct {
		desc      string
		r         Record
		log       *AccessLog
		wantLevel int
		wantSkip  bool
	}{
		{"normal", Record{Term: [2]byte{'-', '-'}, BytesIn: 1}, &AccessLog{}, levelInfo, false},
		{"normal, dontlog-normal", Record{Term: [2]byte{'-', '-'}, BytesIn: 1}, &AccessLog{DontLogNormal: true}, 0, true},
		{"local answer is normal", Record{Term: [2]byte{'L', 'R'}, BytesIn: 1}, &AccessLog{DontLogNormal: true}, 0, true},
		{"server abort", Record{Term: [2]byte{'S', 'C'}, BytesIn: 1}, &AccessLog{DontLogNormal: true, SeparateErrors: true}, levelErr, false},
		{"retried", Record{Term: [2]byte{'-', '-'}, Retries: 1, BytesIn: 1}, &AccessLog{SeparateErrors: true}, levelErr, false},
		{"5xx", Record{Term: [2]byte{'-', '-'}, HTTP: &HTTPRecord{Status: 503}, BytesIn: 1}, &AccessLog{SeparateErrors: true}, levelErr, false},
		{"null", Record{Term: [2]byte{'-', '-'}}, &AccessLog{DontLogNull: true}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			tc.log.Format = f
			tc.r.Log = tc.log
			if level, skip := tc.r.Level(); level != tc.wantLevel || skip != tc.wantSkip {
				t.Errorf("got %d %v, want %d %v", level, skip, tc.wantLevel, tc.wantSkip)
			}
		})
	}
}

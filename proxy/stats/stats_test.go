package stats

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleSnapshot() *Snapshot {
	var fe, s1, s2, be Row
	fe.Type, fe.ProxyID = Frontend, 2
	fe.Set(Pxname, Str("fe"))
	fe.Set(Svname, Str("FRONTEND"))
	fe.Set(Scur, U32(1))
	fe.Set(Status, Str("OPEN"))
	s1.Type, s1.ProxyID, s1.ID = Server, 3, 1
	s1.Set(Pxname, Str("be"))
	s1.Set(Svname, Str("s1"))
	s1.Set(Status, Str("UP"))
	s1.Set(Lastsess, S32(-1))
	s1.Set(CheckDesc, Str(`say "hi", bye`))
	s2 = s1
	s2.ID, s2.Maint = 2, true
	s2.Set(Svname, Str("s2"))
	s2.Set(Status, Str("MAINT"))
	be.Type, be.ProxyID = Backend, 3
	be.Set(Pxname, Str("be"))
	be.Set(Svname, Str("BACKEND"))
	be.Set(Status, Str("UP"))
	return &Snapshot{Rows: []Row{fe, s1, s2, be}}
}

func TestWriters(t *testing.T) {
	tests := []struct {
		desc  string
		write func(*bytes.Buffer) error
		want  []string // lines that must appear
		not   []string // substrings that must not
	}{
		{"csv header and quoting", func(b *bytes.Buffer) error { return WriteCSV(b, sampleSnapshot(), Options{}) },
			[]string{"# pxname,svname,qcur,", ",agg_check_status,-,ssl_sess,", `"say ""hi"", bye"`}, nil},
		{"csv up filter decorates backend", func(b *bytes.Buffer) error { return WriteCSV(b, sampleSnapshot(), Options{Up: true}) },
			[]string{"be,BACKEND,", ",UP (1/2),"}, []string{"be,s2,"}},
		{"typed", func(b *bytes.Buffer) error { return WriteTyped(b, sampleSnapshot(), Options{}) },
			[]string{"F.2.0.0.pxname.1:KNS:str:fe", "F.2.0.4.scur.1:MGP:u32:1", "S.3.1.55.lastsess.1:MAP:s32:-1",
				"B.3.0.17.status.1:SGP:str:UP"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("missing %q in:\n%s", w, b.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("unexpected %q in:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleSnapshot(), Options{}); err != nil {
		t.Fatal(err)
	}
	var rows [][]struct {
		ObjType string `json:"objType"`
		ProxyID int    `json:"proxyId"`
		ID      int    `json:"id"`
		Field   struct {
			Pos  int    `json:"pos"`
			Name string `json:"name"`
		} `json:"field"`
		Tags  map[string]string `json:"tags"`
		Value struct {
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"value"`
	}
	if err := json.Unmarshal(b.Bytes(), &rows); err != nil {
		t.Fatalf("%v in %s", err, b.String())
	}
	if len(rows) != 4 || rows[1][0].ObjType != "Server" || rows[1][0].ID != 1 {
		t.Fatalf("rows: %+v", rows)
	}
	for _, row := range rows {
		for _, f := range row {
			if Field(f.Field.Pos).Name() != f.Field.Name || f.Tags["origin"] == "" || f.Value.Type == "" {
				t.Errorf("bad field %+v", f)
			}
		}
	}
}

func TestInfo(t *testing.T) {
	start := time.Unix(1700000000, 0)
	in := NewInfo(Process{Version: "2.6.12", ReleaseDate: "2023/01/01", Pid: 42, Start: start,
		Now: start.Add(90061 * time.Second), MaxConn: 100, Node: "n1"})
	var plain, typed, js bytes.Buffer
	WriteInfo(&plain, in, Plain)
	WriteInfo(&typed, in, Typed)
	WriteInfo(&js, in, JSON)
	for _, w := range []string{"Name: HAProxy\nVersion: 2.6.12\nRelease_date: 2023/01/01\nNbthread: 1\n",
		"Uptime: 1d 1h01m01s\nUptime_sec: 90061\n", "node: n1\nStopping: 0\n", "Tainted: 0\n"} {
		if !strings.Contains(plain.String(), w) {
			t.Errorf("plain lacks %q:\n%s", w, plain.String())
		}
	}
	if strings.Contains(plain.String(), "description") || strings.Contains(plain.String(), "Zlib") {
		t.Errorf("empty fields shown:\n%s", plain.String())
	}
	if !strings.Contains(typed.String(), "6.Pid.1:SGP:u32:42\n") {
		t.Errorf("typed:\n%s", typed.String())
	}
	var fields []map[string]any
	if err := json.Unmarshal(js.Bytes(), &fields); err != nil || len(fields) != 69 {
		t.Errorf("json: %d fields, %v", len(fields), err)
	}
}

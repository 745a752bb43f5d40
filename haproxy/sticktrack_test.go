package haproxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrackChecks: the reference's checks of track-sc rules (unknown
// table, content tracking at the wrong level or without inspect delay).
func TestTrackChecks(t *testing.T) {
	for _, tc := range []struct {
		desc, cfg string
		want      []string
	}{
		{desc: "unknown tables", cfg: "frontend f\n bind :80\n mode http\n http-request track-sc0 src table nope\n tcp-request connection track-sc1 src\n",
			want: []string{"Proxy 'f': unable to find table 'f' referenced by track-sc1.",
				"Proxy 'f': unable to find table 'nope' referenced by track-sc0."}},
		{desc: "content tracking of src in http mode",
			cfg:  "frontend f\n bind :80\n mode http\n stick-table type ip size 1\n tcp-request content track-sc0 src,ipmask(24)\n",
			want: []string{"frontend 'f' : a 'tcp-request content track-sc*' rule not depending on request contents"}},
		{desc: "content tracking of a header without inspect delay",
			cfg:  "listen l\n bind :80\n stick-table type string size 1\n tcp-request content track-sc0 req.hdr(host)\n",
			want: []string{"proxy 'l' : a 'tcp-request content track-sc*' rule explicitly depending on request contents without any 'tcp-request inspect-delay'"}},
		{desc: "inspect delay from defaults", cfg: "defaults\n tcp-request inspect-delay 1s\nlisten l\n bind :80\n stick-table type string size 1\n tcp-request content track-sc0 req.hdr(host)\n"},
		{desc: "a peers section's table", cfg: "peers p\n peer local 127.0.0.1:1\n table t type ip size 1\nfrontend f\n bind :80\n mode http\n http-request track-sc0 src table p/t\n"},
		{desc: "stick rules on a peers section's table", cfg: "peers p\n peer local 127.0.0.1:1\n table t type ip size 1\nbackend b\n stick on src table p/t\n server s 127.0.0.1:9\n"},
		{desc: "src in tcp mode", cfg: "listen l\n bind :80\n stick-table type ip size 1\n tcp-request content track-sc0 src\n"},
	} {
		path := filepath.Join(t.TempDir(), "h.cfg")
		os.WriteFile(path, []byte(tc.cfg), 0o644)
		_, diags := Load(path)
		var got []string
		for _, d := range diags {
			if strings.Contains(d.Message, "track-sc") || strings.Contains(d.Message, "stick-table") {
				got = append(got, d.Message)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %q, want %q", tc.desc, got, tc.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tc.want[i]) {
				t.Errorf("%s: got %q, want %q", tc.desc, got[i], tc.want[i])
			}
		}
	}
}

package check

import (
	"strings"
	"testing"
)

func TestParseAgentReply(t *testing.T) {
	tests := []struct {
		desc, line string
		want       AgentReply
	}{
		{"health", "down", AgentReply{Health: "down"}},
		{"last word of a kind wins", "up,drain ready 10% 20%", AgentReply{Health: "up", Admin: "ready", Weight: "20%"}},
		{"comment", "stopped\t# going away ", AgentReply{Health: "stopped", Comment: "going away "}},
		{"first unknown word", "foo bar UP", AgentReply{Health: "UP", Err: "foo"}},
		{"maxconn", "maxconn:12", AgentReply{MaxConn: "12", HasMaxConn: true}},
		{"empty maxconn", "MAXCONN:", AgentReply{HasMaxConn: true}},
		{"digit without percent is unknown", "50", AgentReply{Err: "50"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := ParseAgentReply(tt.line); got != tt.want {
				t.Fatalf("got %+v want %+v", got, tt.want)
			}
		})
	}
}

func TestAgentWeight(t *testing.T) {
	tests := []struct {
		desc, word string
		initial    int
		static     bool
		want       int
		msg        string
	}{
		{"relative", "50%", 40, false, 20, ""},
		{"capped", "1000%", 40, false, 256, ""},
		{"huge", "99999999999999999999%", 10, false, 256, ""},
		{"garbage", "5x", 40, false, 0, "Trailing garbage in weight string"},
		{"static algorithm", "50%", 40, true, 0, "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"},
		{"static algorithm takes 0%", "0%", 40, true, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			w, msg := AgentWeight(tt.word, tt.initial, tt.static)
			if w != tt.want || msg != tt.msg {
				t.Fatalf("got %d %q want %d %q", w, msg, tt.want, tt.msg)
			}
		})
	}
}

// FuzzAgentReply: any agent line parses, and its weight and health words
// are worded without panicking.
func FuzzAgentReply(f *testing.F) {
	for _, s := range []string{"up 50%", "down # bye", "maxconn:-3 drain", "1%%%", ",,\t#", "9999999999999999999999%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := ParseAgentReply(line)
		if r.Weight != "" {
			if w, _ := AgentWeight(r.Weight, 256, false); w < 0 || w > 256 {
				t.Fatalf("weight %d out of range for %q", w, r.Weight)
			}
		}
		AgentMaxConn(r.MaxConn)
		if r.Health != "" && !strings.HasPrefix(r.HealthText(""), "via agent : ") {
			t.Fatalf("health text %q", r.HealthText(""))
		}
	})
}

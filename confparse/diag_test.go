package confparse

import "testing"

func TestDiagnostic(t *testing.T) {
	for _, tc := range []struct {
		desc string
		d    Diagnostic
		want string
	}{
		{"positioned", Diagnostic{Pos{"a.cfg", 3, 5}, Alert, "bad"}, "ALERT: [a.cfg:3] bad"},
		{"no position", Diagnostic{Severity: Warning, Message: "w"}, "WARNING: w"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.desc, got, tc.want)
		}
	}
	if HasAlert([]Diagnostic{{Severity: Warning}}) || !HasAlert([]Diagnostic{{Severity: Notice}, {Severity: Alert}}) {
		t.Error("HasAlert wrong")
	}
}

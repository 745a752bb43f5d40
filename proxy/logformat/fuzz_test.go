package logformat

import (
	"testing"
)

// FuzzCompile: no format string panics the compiler or the renderer, and
// an accepted format renders the same line twice.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{TCPLog, HTTPLog, HTTPLogCLF, "%{+Q", "%[src", "%[src x]", "%{+Q}", "%%%ci",
		"  %hr  %{+E,+Q}[src] %1", "%{+X}o%ci%Ts%[a(b]c)]", "%{", "%[]", "%{-Q,+X,+E}ID"} {
		f.Add(s, true)
	}
	v := sampleValues()
	f.Fuzz(func(t *testing.T, s string, http bool) {
		fm, err := Compile(s, Options{HTTP: http})
		if err != nil {
			return
		}
		a := fm.Render(nil, v)
		if b := fm.Render(make([]byte, 0, 8), v); string(a) != string(b) {
			t.Fatalf("%q renders %q then %q", s, a, b)
		}
	})
}

// BenchmarkRender renders the httplog line into a reused buffer; its
// allocs/op is 0 in steady state (reported, not asserted on time).
func BenchmarkRender(b *testing.B) {
	for _, bc := range []struct{ name, format string }{
		{"httplog", HTTPLog}, {"tcplog", TCPLog}, {"clf", HTTPLogCLF},
		{"custom", "%{+Q}o %ci %{+X}Ts %ID %hrl %HM %HP %HQ %[src] %{+E}b %trg"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fm, err := Compile(bc.format, Options{HTTP: true})
			if err != nil {
				b.Fatal(err)
			}
			v := sampleValues()
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				buf = fm.Render(buf[:0], v)
			}
		})
	}
}

// TestRenderAllocs: rendering into a buffer of the right size allocates
// nothing (an allocation count, not a time).
func TestRenderAllocs(t *testing.T) {
	fm, err := Compile(HTTPLog+" %{+Q}o %{+X}Ts %ID %hrl %HM %HQ %[src] %{+E}b %trg %T", Options{HTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	v := sampleValues()
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = fm.Render(buf[:0], v) }); n != 0 {
		t.Errorf("Render allocates %v times per line", n)
	}
}

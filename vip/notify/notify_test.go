package notify

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNotifyScripts(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	appendTo := func(tag string) Script {
		return Script{Argv: []string{"/bin/sh", "-c", `echo "` + tag + ` $*" >> "$0"`, out}}
	}
	s := Scripts{Master: appendTo("master"), Backup: appendTo("backup"), Fault: appendTo("fault"),
		Stop: appendTo("stop"), Any: appendTo("any")}
	for _, tc := range []struct{ state, want string }{
		{"MASTER", "master \nany INSTANCE VI_1 MASTER 150\n"},
		{"BACKUP", "backup \nany INSTANCE VI_1 BACKUP 150\n"},
		{"FAULT", "fault \nany INSTANCE VI_1 FAULT 150\n"},
		{"STOP", "stop \nany INSTANCE VI_1 STOP 150\n"},
	} {
		t.Run(tc.state, func(t *testing.T) {
			os.Remove(out)
			var r Runner
			// The state's own script, waited for, then the generic one,
			// so the file's order is deterministic.
			own := s
			own.Any = Script{}
			r.Notify(own, "INSTANCE", "VI_1", tc.state, 150)
			r.Wait()
			r.Notify(Scripts{Any: s.Any}, "INSTANCE", "VI_1", tc.state, 150)
			r.Wait()
			got, _ := os.ReadFile(out)
			if string(got) != tc.want {
				t.Fatalf("scripts wrote %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScriptFailuresLogged(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	r := Runner{Log: func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }}
	r.Start(Script{Argv: []string{"/nonexistent/script"}})
	r.Start(Script{Argv: []string{"/bin/sh", "-c", "exit 3"}})
	r.Start(Script{Argv: []string{"/bin/true"}, User: "no-such-user-here"})
	r.Wait()
	all := strings.Join(lines, "\n")
	if len(lines) != 3 || !strings.Contains(all, "exited with exit status 3") ||
		!strings.Contains(all, "unknown user no-such-user-here") || !strings.Contains(all, "no such file") {
		t.Fatalf("log %q", lines)
	}
}

func TestRunAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED (privileged): running a script as another user needs root")
	}
	// t.TempDir's parent is private to root: nobody needs a public one.
	dir, err := os.MkdirTemp("", "fulcrum-notify-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	out := filepath.Join(dir, "id")
	var r Runner
	r.Start(Script{Argv: []string{"/bin/sh", "-c", `id -u > "$0"`, out}, User: "nobody"})
	r.Wait()
	got, err := os.ReadFile(out)
	if strings.TrimSpace(string(got)) != "65534" {
		t.Fatalf("script ran as uid %q (%v), want nobody (65534)", got, err)
	}
}

func TestFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	f, err := OpenFIFO(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// No reader yet: the write must not block.
	if err := f.Write("INSTANCE", "VI_1", "BACKUP", 100); err != nil {
		t.Fatal(err)
	}
	rd, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if err := f.Write("GROUP", "G1", "MASTER", 150); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(rd)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for _, want := range []string{`INSTANCE "VI_1" BACKUP 100`, `GROUP "G1" MASTER 150`} {
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("fifo line %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("fifo line %q never came", want)
		}
	}
}

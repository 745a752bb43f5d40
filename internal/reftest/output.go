package reftest

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
)

// Output collects a running process's stdout and stderr: it is safe to
// read with String while the process is still writing.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// FileOutput collects a child process's stdout and stderr in a file the
// child writes to directly. Unlike Output (a pipe drained by a goroutine
// of ours), everything the process wrote before an event the test
// observed (a connection it made, an answer it sent) is already readable:
// no copy can lag behind on a loaded machine, and a log target the
// process made non-blocking never drops lines on a full pipe.
type FileOutput struct {
	f *os.File
}

// NewFileOutput creates the file in dir; it is closed when the test ends.
func NewFileOutput(t testing.TB, dir string) (*FileOutput, error) {
	f, err := os.CreateTemp(dir, "output-*.log")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { f.Close() })
	return &FileOutput{f: f}, nil
}

// File is what to give the child as its stdout and stderr.
func (o *FileOutput) File() *os.File { return o.f }

// String returns everything written so far.
func (o *FileOutput) String() string {
	b, err := os.ReadFile(o.f.Name())
	if err != nil {
		return fmt.Sprintf("(output unreadable: %v)", err)
	}
	return string(b)
}

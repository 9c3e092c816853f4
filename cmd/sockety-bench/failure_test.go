package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// workerPIDs returns the live worker children of this process by role
// ("server" or "client").
func workerPIDs(t *testing.T, role string) []int {
	t.Helper()
	pids, ok := workerChildren(os.Getpid(), role)
	if !ok {
		t.Skip("no /proc here")
	}
	return pids
}

// checkPrivate checks that every payload directory under root is 0700 and
// every file in it 0600; it returns how many files it saw.
func checkPrivate(t *testing.T, root string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if d.IsDir() && info.Mode().Perm() != 0o700 {
			t.Errorf("directory %s has mode %v, want 0700", path, info.Mode().Perm())
		}
		if !d.IsDir() {
			n++
			if info.Mode().Perm() != 0o600 {
				t.Errorf("file %s has mode %v, want 0600", path, info.Mode().Perm())
			}
		}
		return nil
	})
	return n
}

// TestWorkerKilledMidRun kills (SIGKILL, from outside) a server worker or
// a client worker during a file-from-disk benchmark: the run ends within a
// bounded time with errors counted and exit status 1, no worker process is
// left, the payload files were private while they existed and none is left.
func TestWorkerKilledMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	for _, role := range []string{"server", "client"} {
		t.Run(role, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			var out bytes.Buffer
			errOut := &lockedBuffer{}
			code := make(chan int, 1)
			start := time.Now()
			go func() {
				code <- run([]string{"-t", "4s", "-w", "0", "-c", "1", "-cc", "4", "-cn", "1", "-f", "echo 1mb file fs",
					"--op-timeout", "500ms", "--verify"}, &out, errOut, false)
			}()
			// Wait for both sides to run, and for payload files to exist.
			var victim []int
			files := 0
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				files = max(files, checkPrivate(t, tmp))
				if len(workerPIDs(t, "client")) > 0 && strings.Contains(errOut.String(), "Running") {
					victim = workerPIDs(t, role)
					if len(victim) > 0 && files > 0 {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(victim) == 0 {
				t.Fatalf("no %s worker running (payload files seen: %d)\n%s", role, files, errOut.String())
			}
			time.Sleep(300 * time.Millisecond)
			if err := syscall.Kill(victim[0], syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-code:
				if c != 1 {
					t.Fatalf("exit %d, want 1\n%s\n%s", c, out.String(), errOut.String())
				}
			case <-time.After(40 * time.Second):
				t.Fatal("run still going 40s after a worker was killed")
			}
			t.Logf("run ended %v after start; stdout:\n%s", time.Since(start), out.String())
			if !strings.Contains(out.String(), role+" 0 died during the run") {
				t.Errorf("table does not report the failure:\n%s", out.String())
			}
			if n := countWorkers(t); n != 0 {
				t.Fatalf("%d worker processes left", n)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Fatalf("payload files left behind after a killed %s worker: %v", role, left)
			}
		})
	}
}

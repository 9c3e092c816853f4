package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/harness"
)

func allSuites() []competitors.Suite { return competitors.All() }

// countWorkers counts live children of this process that are workers.
func countWorkers(t *testing.T) int {
	t.Helper()
	me := strconv.Itoa(os.Getpid())
	entries, err := filepath.Glob("/proc/[0-9]*/environ")
	if err != nil || len(entries) == 0 {
		t.Skip("no /proc here")
	}
	n := 0
	for _, e := range entries {
		dir := filepath.Dir(e)
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// Field 4 of /proc/PID/stat is the parent PID (after "pid (comm) state").
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[1] != me || f[0] == "Z" {
			continue
		}
		env, err := os.ReadFile(e)
		if err == nil && strings.Contains(string(env), harness.WorkerEnv+"=") {
			n++
		}
	}
	return n
}

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

// workerChildren returns the PIDs of the live worker processes among the
// children of parent, read from /proc (parent PID from stat, role from the
// environment); role "" matches any role. ok is false when /proc cannot be
// read here.
func workerChildren(parent int, role string) (pids []int, ok bool) {
	entries, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(entries) == 0 {
		return nil, false
	}
	want := harness.WorkerEnv + "=" + role
	for _, e := range entries {
		stat, err := os.ReadFile(e)
		if err != nil {
			continue
		}
		// After "pid (comm)" come the state and the parent PID.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(parent) || f[0] == "Z" {
			continue
		}
		env, err := os.ReadFile(filepath.Join(filepath.Dir(e), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(env), "\x00") {
			if kv == want || (role == "" && strings.HasPrefix(kv, want)) {
				if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(e))); err == nil {
					pids = append(pids, pid)
				}
				break
			}
		}
	}
	return pids, true
}

// countWorkers counts live children of this process that are workers.
func countWorkers(t *testing.T) int {
	t.Helper()
	pids, ok := workerChildren(os.Getpid(), "")
	if !ok {
		t.Skip("no /proc here")
	}
	return len(pids)
}

package harness

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestSpawnGOGC: a client worker started with a GOGC gets it in its
// environment, over one inherited from the controller's; without one it
// keeps the inherited value.
func TestSpawnGOGC(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/environ")
	}
	t.Setenv("GOGC", "77") // inherited through os.Environ (the test process's runtime read GOGC at start)
	for _, tc := range []struct {
		gogc int
		want string
	}{{gogc: 321, want: "321"}, {gogc: 0, want: "77"}} {
		t.Run(fmt.Sprint(tc.gogc), func(t *testing.T) {
			got, _ := workerEnv(t, spawnConfig{gogc: tc.gogc}, "GOGC")
			if got != tc.want {
				t.Fatalf("worker's GOGC %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSpawnGODEBUG: a client worker's GODEBUG is the harness's settings
// followed by the inherited ones (which the runtime applies last, so they
// win), or the inherited ones alone without settings of the harness.
func TestSpawnGODEBUG(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/environ")
	}
	for _, tc := range []struct {
		name, inherited, ours, want string
	}{
		{"ours alone", "", "schedtrace=2147483647", "schedtrace=2147483647"},
		{"ours then inherited", "madvdontneed=1,schedtrace=0", "schedtrace=2147483647", "schedtrace=2147483647,madvdontneed=1,schedtrace=0"},
		{"inherited alone", "madvdontneed=1", "", "madvdontneed=1"},
		{"none", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.inherited != "" {
				t.Setenv("GODEBUG", tc.inherited)
			} else {
				t.Setenv("GODEBUG", "")
				os.Unsetenv("GODEBUG")
			}
			got, n := workerEnv(t, spawnConfig{godebug: tc.ours}, "GODEBUG")
			if got != tc.want || n > 1 {
				t.Fatalf("worker's GODEBUG %q (%d entries), want %q", got, n, tc.want)
			}
		})
	}
}

// workerEnv starts a client worker with sc and returns the last value of
// key in its environment (the one the runtime, like getenv, takes) and how
// many entries key has there.
func workerEnv(t *testing.T, sc spawnConfig, key string) (string, int) {
	t.Helper()
	p, err := spawn(context.Background(), sc, RoleClient, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.PID()))
	if err != nil {
		t.Skipf("cannot read the worker's environment: %v", err)
	}
	got, n := "", 0
	for _, kv := range strings.Split(string(env), "\x00") {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			got, n = v, n+1
		}
	}
	return got, n
}

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
			p, err := spawn(context.Background(), spawnConfig{gogc: tc.gogc}, RoleClient, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Kill()
			env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.PID()))
			if err != nil {
				t.Skipf("cannot read the worker's environment: %v", err)
			}
			got := ""
			for _, kv := range strings.Split(string(env), "\x00") {
				if v, ok := strings.CutPrefix(kv, "GOGC="); ok {
					got = v // the runtime, like getenv, takes the last one
				}
			}
			if got != tc.want {
				t.Fatalf("worker's GOGC %q, want %q", got, tc.want)
			}
		})
	}
}

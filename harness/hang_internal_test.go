package harness

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/harness/harnesstest"
)

// TestWorkerThatStopsAnswering: a server worker that hangs at the window's
// end is reported, killed, and the benchmark ends in bounded time.
func TestWorkerThatStopsAnswering(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	old := markTimeout
	markTimeout = time.Second
	defer func() { markTimeout = old }()

	s, ok := competitors.Lookup(harnesstest.HangName)
	if !ok {
		t.Fatal("hang suite not registered")
	}
	b := s.Benchmarks()[0]
	o := Options{Duration: 300 * time.Millisecond, Servers: 1, Clients: 1, Concurrency: 2, Connections: 1, Seed: 1}
	o.Normalize()
	ctl := &Controller{Opt: o}
	start := time.Now()
	rs, err := ctl.RunBenchmark(context.Background(), s, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v", took)
	}
	r := rs[0]
	if !strings.Contains(strings.Join(r.Failures, "\n"), "server 0: no reply") {
		t.Fatalf("failures %v", r.Failures)
	}
	if r.CPU.Server != nil || r.Count == 0 {
		t.Errorf("server CPU %+v count %d", r.CPU.Server, r.Count)
	}
}

package harness_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/harness"
	"github.com/sockety-harness/sockety-harness/harness/harnesstest"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func testOptions() harness.Options {
	o := harness.Options{
		Duration: 400 * time.Millisecond, Warming: 100 * time.Millisecond,
		Servers: 1, Clients: 2, Concurrency: 8, Connections: 2, Seed: 99, Verify: true,
		OpTimeout: 5 * time.Second,
	}
	o.Normalize()
	return o
}

func benchmarkOf(t *testing.T, suite, id string) (competitors.Suite, competitors.Benchmark) {
	t.Helper()
	s, ok := competitors.Lookup(suite)
	if !ok {
		t.Fatalf("suite %q not registered", suite)
	}
	for _, b := range s.Benchmarks() {
		if b.Scenario.ID == id {
			return s, b
		}
	}
	t.Fatalf("suite %q has no %s", suite, id)
	return nil, competitors.Benchmark{}
}

func TestRunBenchmarkWithWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // payload files of controller and workers go here
	var log bytes.Buffer
	ctl := &harness.Controller{Opt: testOptions(), WorkerLog: &syncWriter{w: &log}}
	defer func() {
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("payload files left behind: %v", left)
		}
		// The adapter's print to stdout went to stderr, with the worker's name.
		if !strings.Contains(log.String(), "[server 0] echo server: listening on") {
			t.Errorf("stray stdout not forwarded as a log line: %q", log.String())
		}
	}()
	for _, id := range []string{scenarios.IDShortResponse, scenarios.IDNoResponse, scenarios.IDMixed, scenarios.IDFile1MBFS} {
		t.Run(id, func(t *testing.T) {
			s, b := benchmarkOf(t, harnesstest.EchoName, id)
			rs, err := ctl.RunBenchmark(context.Background(), s, b, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if id == scenarios.IDMixed {
				want = 2
			}
			if len(rs) != want {
				t.Fatalf("%d results, want %d", len(rs), want)
			}
			for _, r := range rs {
				if len(r.Failures) > 0 || r.Errors > 0 {
					t.Fatalf("%s: failures %v, errors %d %v", harness.RowName(r), r.Failures, r.Errors, r.ErrorSamples)
				}
				if r.Count == 0 || r.QPS <= 0 {
					t.Fatalf("%s: no operations (count %d)", harness.RowName(r), r.Count)
				}
				h, err := harness.DecodeHistogram(r.Histogram)
				if err != nil {
					t.Fatal(err)
				}
				if h.TotalCount() != r.Count {
					t.Errorf("%s: merged histogram has %d values, count is %d", harness.RowName(r), h.TotalCount(), r.Count)
				}
				l := r.Latency
				if !(l.MinNs <= l.P50Ns && l.P50Ns <= l.P99Ns && l.MinNs <= l.MeanNs && l.MeanNs <= l.MaxNs) {
					t.Errorf("%s: inconsistent latency %+v", harness.RowName(r), l)
				}
				if r.CPU.Client == nil || r.CPU.Server == nil {
					t.Errorf("%s: CPU unknown: %+v", harness.RowName(r), r.CPU)
				}
				for _, w := range r.Workers {
					want := ctl.Opt.ClientProcs
					if w.Role == harness.RoleServer {
						want = ctl.Opt.ServerProcs
					}
					if w.GOMAXPROCS != want {
						t.Errorf("%s %d runs with GOMAXPROCS %d, want %d", w.Role, w.Index, w.GOMAXPROCS, want)
					}
				}
				if r.ClientWorkers != 2 || r.ServerWorkers != 1 || len(r.Workers) != 3 {
					t.Errorf("%s: workers %d/%d %d", harness.RowName(r), r.ClientWorkers, r.ServerWorkers, len(r.Workers))
				}
				// Loose upper bound: on a loaded machine (-race, parallel packages) a mark can arrive late.
				if r.WindowNs < int64(300*time.Millisecond) || r.WindowNs > int64(30*time.Second) {
					t.Errorf("%s: window %v", harness.RowName(r), time.Duration(r.WindowNs))
				}
			}
			r := rs[0]
			if r.OneWay && id != scenarios.IDMixed {
				if r.Delivered == nil || r.Delivered.Messages == 0 {
					t.Fatalf("one-way without delivered figure: %+v", r.Delivered)
				}
				if r.Delivered.VerifyErrors != 0 {
					t.Errorf("verify errors %d", r.Delivered.VerifyErrors)
				}
			}
			if id == scenarios.IDMixed && (rs[0].Part == "" || rs[1].Part == "" || rs[1].Concurrency != 1 || rs[0].Concurrency != 7) {
				t.Errorf("mixed parts: %+v / %+v", rs[0].Part, rs[1].Part)
			}
		})
	}
}

func TestRunBenchmarkServerDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	o := testOptions()
	o.Warming = 0
	o.Duration = 1500 * time.Millisecond
	o.OpTimeout = time.Second
	var log bytes.Buffer
	ctl := &harness.Controller{Opt: o, WorkerLog: &syncWriter{w: &log}}
	s, b := benchmarkOf(t, harnesstest.CrashName, scenarios.IDShortResponse)
	start := time.Now()
	rs, err := ctl.RunBenchmark(context.Background(), s, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took > 20*time.Second {
		t.Errorf("run took %v after the server died", took)
	}
	r := rs[0]
	if r.Errors == 0 {
		t.Errorf("no errors counted after the server died (count %d)", r.Count)
	}
	if len(r.Failures) == 0 || !strings.Contains(strings.Join(r.Failures, "\n"), "server 0") {
		t.Errorf("failures do not name the dead server: %v", r.Failures)
	}
	if r.CPU.Server != nil {
		t.Errorf("server CPU shown for a dead server: %+v", r.CPU.Server)
	}
	if !strings.Contains(log.String(), "exits on purpose") {
		t.Errorf("worker stderr not forwarded: %q", log.String())
	}
}

func TestServerWorkersHonoursSharedPort(t *testing.T) {
	o := testOptions()
	o.Servers = 3
	ctl := &harness.Controller{Opt: o}
	echo, _ := competitors.Lookup(harnesstest.EchoName)
	crash, _ := competitors.Lookup(harnesstest.CrashName)
	if n := ctl.ServerWorkers(echo); n != 3 {
		t.Errorf("shared-port suite gets %d servers, want 3", n)
	}
	if n := ctl.ServerWorkers(crash); n != 1 {
		t.Errorf("suite without a shared port gets %d servers, want 1", n)
	}
}

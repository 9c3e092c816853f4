// Package adaptertest is the conformance test every competitor adapter runs:
// it starts the suite's server on loopback, dials a client, runs each
// benchmark's operation a bounded number of times with verification on, and
// checks successes, errors and what the server counted. It also has a Go
// benchmark helper that drives one operation with b.RunParallel, so that an
// adapter's cost can be told apart from the harness's.
package adaptertest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Options bounds a conformance run. Zero values take the defaults.
type Options struct {
	// Ops is how many operations each benchmark runs (default 50).
	Ops int
	// DataOps is how many operations benchmarks of 1 MiB payloads or more
	// run (default 12): enough to cross every connection several times
	// while keeping -race runs short.
	DataOps int
	// Concurrency is how many goroutines run them (default 8).
	Concurrency int
	// Connections is the client's connection count (default 2).
	Connections int
	// Timeout bounds each benchmark (default 60s: -race on a loaded machine).
	Timeout time.Duration
	// HeartbeatCounted says that the server counts each heartbeat in
	// ServerCounters.Messages (protocols whose keep-alive never reaches the
	// application, such as HTTP/2 PING, leave it false).
	HeartbeatCounted bool
}

func (o *Options) defaults() {
	if o.Ops <= 0 {
		o.Ops = 50
	}
	if o.DataOps <= 0 {
		o.DataOps = 12
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Connections <= 0 {
		o.Connections = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
}

// UsesTLS reports whether s asks the harness for a certificate.
func UsesTLS(s competitors.Suite) bool {
	t, ok := s.(interface{ UsesTLS() bool })
	return ok && t.UsesTLS()
}

// Env is a running server and a connected client of one suite.
type Env struct {
	Suite    competitors.Suite
	Server   competitors.Server
	Client   competitors.Client
	Payloads *scenarios.Payloads
	TLS      *competitors.TLS
}

// Start starts s's server on 127.0.0.1:0 with verification on and dials a
// client with conns connections and concurrency cc. Cleanup closes both and
// removes the payload files.
func Start(tb testing.TB, s competitors.Suite, conns, cc int) *Env {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := &Env{Suite: s, Payloads: scenarios.New(scenarios.NewSeed())}
	tb.Cleanup(func() { _ = e.Payloads.Close() })
	if UsesTLS(s) {
		m, err := tlsutil.SelfSigned()
		if err != nil {
			tb.Fatal(err)
		}
		e.TLS = m
	}
	srv, err := s.NewServer(ctx, competitors.ServerConfig{
		Addr: "127.0.0.1:0", TLS: e.TLS, Payloads: e.Payloads, Verify: true,
	})
	if err != nil {
		tb.Fatalf("%s: start server: %v", s.Name(), err)
	}
	e.Server = srv
	cl, err := s.NewClient(ctx, competitors.ClientConfig{
		Addr: srv.Addr(), TLS: e.TLS, Connections: conns, Concurrency: cc,
		Payloads: e.Payloads, Verify: true,
	})
	if err != nil {
		_ = srv.Close()
		tb.Fatalf("%s: dial client: %v", s.Name(), err)
	}
	e.Client = cl
	tb.Cleanup(func() { e.Close(tb) })
	return e
}

// Close closes the client, then the server (idempotent through Cleanup).
func (e *Env) Close(tb testing.TB) {
	tb.Helper()
	if e.Client != nil {
		if err := e.Client.Close(); err != nil {
			tb.Errorf("%s: client close: %v", e.Suite.Name(), err)
		}
		e.Client = nil
	}
	if e.Server != nil {
		if err := e.Server.Close(); err != nil {
			tb.Errorf("%s: server close: %v", e.Suite.Name(), err)
		}
		e.Server = nil
	}
}

// Run is the conformance test of one suite: every benchmark it lists runs
// o.Ops operations, all must succeed, and the server's counters must show
// every message and payload byte, with no verification error. It also checks
// that the client holds exactly o.Connections connections (Linux) and that
// no goroutine outlives Close.
func Run(t *testing.T, s competitors.Suite, o Options) {
	o.defaults()
	base := runtime.NumGoroutine()
	e := Start(t, s, o.Connections, o.Concurrency)
	port := portOf(t, e.Server.Addr())
	checkConns(t, port, o.Connections, "after dial")

	for _, b := range s.Benchmarks() {
		t.Run(b.Name, func(t *testing.T) {
			parts := []competitors.Benchmark{b}
			if b.Scenario.Kind == scenarios.Mixed {
				parts = nil
				for _, p := range b.Scenario.PartScenarios() {
					parts = append(parts, competitors.Benchmark{Name: p.Name, Scenario: p})
				}
				if len(parts) != 2 {
					t.Fatalf("mixed benchmark %q has parts %v", b.Name, b.Scenario.Parts)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
			defer cancel()
			ops := make([]competitors.Op, len(parts))
			for i, p := range parts {
				op, err := e.Client.Prepare(ctx, p)
				if err != nil {
					t.Fatalf("prepare %q: %v", p.Name, err)
				}
				ops[i] = op
			}
			before := e.Server.Counters()
			var wg sync.WaitGroup
			results := make([]Result, len(parts))
			counts := make([]int, len(parts))
			for i, p := range parts {
				counts[i] = o.Ops
				if p.Scenario.Size >= scenarios.MiB {
					counts[i] = o.DataOps
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = RunOps(ctx, ops[i], counts[i], o.Concurrency)
				}()
			}
			wg.Wait()
			var want competitors.ServerCounters
			for i, p := range parts {
				r, n := results[i], counts[i]
				if r.Failed > 0 {
					t.Errorf("%q: %d of %d operations failed, first error: %v", p.Name, r.Failed, n, r.FirstErr)
				}
				if r.OK != n {
					t.Errorf("%q: %d operations succeeded, want %d", p.Name, r.OK, n)
				}
				if p.Scenario.Kind != scenarios.Heartbeat || o.HeartbeatCounted {
					want.Messages += uint64(n)
				}
				switch p.Scenario.Kind {
				case scenarios.Data, scenarios.File, scenarios.StreamEcho:
					want.Bytes += uint64(n) * uint64(p.Scenario.Size)
				}
			}
			// One-way operations end before the server has read them: wait
			// (bounded) for the counters to reach what was sent.
			var got competitors.ServerCounters
			for {
				now := e.Server.Counters()
				got = competitors.ServerCounters{
					Messages:     now.Messages - before.Messages,
					Bytes:        now.Bytes - before.Bytes,
					VerifyErrors: now.VerifyErrors - before.VerifyErrors,
				}
				if (got.Messages >= want.Messages && got.Bytes >= want.Bytes) || ctx.Err() != nil {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if got != want {
				t.Errorf("server counted %+v, want %+v", got, want)
			}
		})
	}
	checkConns(t, port, o.Connections, "after the benchmarks")
	e.Close(t)
	CheckGoroutines(t, base)
}

// Result counts the outcomes of RunOps.
type Result struct {
	OK, Failed int
	FirstErr   error
}

// RunOps runs op n times from conc goroutines and counts the outcomes.
func RunOps(ctx context.Context, op competitors.Op, n, conc int) Result {
	var next, ok, failed atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := op(ctx); err != nil {
					failed.Add(1)
					once.Do(func() { first = err })
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return Result{OK: int(ok.Load()), Failed: int(failed.Load()), FirstErr: first}
}

// CheckGoroutines fails t when, after a bounded wait, more goroutines run
// than base.
func CheckGoroutines(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines still running after Close (had %d before):\n%s", n, base, buf)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func portOf(t testing.TB, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("server address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("server address %q: %v", addr, err)
	}
	return n
}

// checkConns checks that exactly want client sockets are connected to port,
// read from the kernel's socket tables (Linux only).
func checkConns(t testing.TB, port, want int, when string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return
	}
	n, err := EstablishedTo(port)
	if err != nil {
		t.Logf("cannot count connections: %v", err)
		return
	}
	if n != want {
		t.Errorf("%s: %d client connections to port %d, want exactly %d", when, n, port, want)
	}
}

// EstablishedTo counts the established TCP sockets of this network namespace
// whose remote port is port (Linux, /proc/net/tcp and tcp6).
func EstablishedTo(port int) (int, error) {
	total := 0
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		n, err := countEstablished(name, port)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func countEstablished(name string, port int) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	n := 0
	sc := bufio.NewScanner(f)
	sc.Scan() // header line
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		if strings.HasSuffix(fields[2], want) && fields[3] == "01" {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	return n, nil
}

// Bench measures one benchmark of s with b.RunParallel over one client of
// conns connections, 32 goroutines per GOMAXPROCS. It reports the server's
// delivered messages per op so that buffering of one-way operations shows.
func Bench(b *testing.B, s competitors.Suite, id string, conns int) {
	sc, ok := scenarios.ByID(id)
	if !ok {
		b.Fatalf("no scenario %q", id)
	}
	var bench competitors.Benchmark
	found := false
	for _, x := range s.Benchmarks() {
		if x.Scenario.ID == id {
			bench, found = x, true
		}
	}
	if !found {
		b.Skipf("%s does not run %s", s.Name(), sc.Name)
	}
	const par = 32
	e := Start(b, s, conns, par*runtime.GOMAXPROCS(0))
	op, err := e.Client.Prepare(context.Background(), bench)
	if err != nil {
		b.Fatal(err)
	}
	before := e.Server.Counters()
	var failed atomic.Int64
	b.SetParallelism(par)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := op(ctx); err != nil {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	after := e.Server.Counters()
	b.ReportMetric(float64(after.Messages-before.Messages)/float64(b.N), "delivered/op")
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d operations failed", f)
	}
}

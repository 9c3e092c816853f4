package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// WorkerEnv is the environment variable that turns a run of the binary into a
// worker process; its value is the role ("server" or "client").
const WorkerEnv = "SOCKETY_BENCH_WORKER"

// Worker roles.
const (
	RoleServer = "server"
	RoleClient = "client"
)

// Bounds of a worker's own steps.
const (
	prepareTimeout = 30 * time.Second
	stopGrace      = 2 * time.Second
	closeTimeout   = 3 * time.Second
	// maxDrainWait bounds the wait of a drain request, whatever it asks.
	maxDrainWait = time.Minute
)

// IsWorker reports whether this process was started as a worker.
func IsWorker() bool { return os.Getenv(WorkerEnv) != "" }

// MaybeRunWorker runs the worker role and exits when this process is a
// worker; otherwise it returns at once. Call it first thing in main (and in
// TestMain of tests that start workers), after the suites are registered.
func MaybeRunWorker() {
	if !IsWorker() {
		return
	}
	os.Exit(RunWorker(os.Getenv(WorkerEnv)))
}

// RunWorker serves the control protocol on stdin/stdout in the given role and
// returns the process exit status.
func RunWorker(role string) int {
	// The controller ends workers; Ctrl-C in a terminal must not race it.
	signal.Ignore(os.Interrupt)
	ctl, err := takeStdout()
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: %v\n", err)
		return 3
	}
	w := &worker{role: role, enc: json.NewEncoder(ctl)}
	if err := w.send(reply{Hello: &hello{PID: os.Getpid(), Role: role, GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}}); err != nil {
		return 3
	}
	code := w.serve(os.Stdin)
	w.cleanup()
	return code
}

// debugMarks logs how long marks take (SOCKETY_BENCH_DEBUG=marks).
var debugMarks = os.Getenv("SOCKETY_BENCH_DEBUG") == "marks"

type worker struct {
	readNs int64 // when the current request was read
	role   string
	enc    *json.Encoder

	payloads *scenarios.Payloads

	// server role
	server competitors.Server

	// client role
	client  competitors.Client
	ops     []competitors.Op
	parts   []PartReady
	recs    []*Recorder
	drivers []*Driver
	cfg     ClientParams
	runCtx  context.Context
	stopRun context.CancelFunc
}

func (w *worker) send(r reply) error { return w.enc.Encode(r) }

func (w *worker) serve(in io.Reader) int {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		w.readNs = nowNs()
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			_ = w.send(reply{Error: fmt.Sprintf("bad request: %v", err)})
			continue
		}
		r, done := w.handle(req)
		if err := w.send(r); err != nil {
			return 3
		}
		if done {
			return 0
		}
	}
	// stdin closed: the controller is gone.
	return 4
}

func (w *worker) handle(req request) (reply, bool) {
	fail := func(err error) (reply, bool) { return reply{Error: err.Error()}, false }
	switch {
	case req.Op == opServe && w.role == RoleServer && req.Server != nil:
		addr, err := w.startServer(*req.Server)
		if err != nil {
			return fail(err)
		}
		return reply{Addr: addr}, false
	case req.Op == opPrepare && w.role == RoleClient && req.Client != nil:
		if err := w.prepare(*req.Client); err != nil {
			return fail(err)
		}
		return reply{Parts: w.parts}, false
	case req.Op == opStart && w.role == RoleClient:
		if w.client == nil {
			return fail(fmt.Errorf("start before prepare"))
		}
		w.start()
		return reply{}, false
	case req.Op == opDrain && w.role == RoleClient:
		if w.drivers == nil {
			return fail(fmt.Errorf("drain before start"))
		}
		return reply{Drain: w.drain(req.Wait)}, false
	case req.Op == opMark:
		return reply{Mark: w.mark(req.Last)}, false
	case req.Op == opStop:
		return reply{Stop: w.stop()}, true
	}
	return fail(fmt.Errorf("unexpected request %q for a %s worker", req.Op, w.role))
}

func (w *worker) startServer(p ServerParams) (string, error) {
	if w.server != nil {
		return "", fmt.Errorf("server already started")
	}
	suite, ok := competitors.Lookup(p.Suite)
	if !ok {
		return "", fmt.Errorf("suite %q is not registered in this binary", p.Suite)
	}
	w.payloads = scenarios.New(p.Seed)
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	defer cancel()
	srv, err := suite.NewServer(ctx, competitors.ServerConfig{
		Addr: p.Addr, TLS: p.TLS, Payloads: w.payloads, Verify: p.Verify, Delay: p.Delay, ReusePort: p.ReusePort,
	})
	if err != nil {
		return "", fmt.Errorf("start %s server: %w", p.Suite, err)
	}
	w.server = srv
	return srv.Addr(), nil
}

// findBenchmark returns the suite's benchmark with this row name.
func findBenchmark(s competitors.Suite, name string) (competitors.Benchmark, bool) {
	for _, b := range s.Benchmarks() {
		if b.Name == name {
			return b, true
		}
	}
	return competitors.Benchmark{}, false
}

func (w *worker) prepare(p ClientParams) error {
	if w.client != nil {
		return fmt.Errorf("client already prepared")
	}
	suite, ok := competitors.Lookup(p.Suite)
	if !ok {
		return fmt.Errorf("suite %q is not registered in this binary", p.Suite)
	}
	b, ok := findBenchmark(suite, p.Benchmark)
	if !ok {
		return fmt.Errorf("suite %q has no benchmark %q", p.Suite, p.Benchmark)
	}
	w.cfg = p
	w.payloads = &scenarios.Payloads{Seed: p.Seed, BaseDir: p.PayloadDir}
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	defer cancel()
	cl, err := suite.NewClient(ctx, competitors.ClientConfig{
		Addr: p.Addr, TLS: p.TLS, Connections: p.Connections, Concurrency: p.Concurrency,
		Payloads: w.payloads, Verify: p.Verify,
	})
	if err != nil {
		return fmt.Errorf("connect %s client: %w", p.Suite, err)
	}
	w.client = cl
	parts := []competitors.Benchmark{b}
	conc := []int{p.Concurrency}
	if b.Scenario.Kind == scenarios.Mixed {
		ps := b.Scenario.PartScenarios()
		if len(ps) != 2 {
			return fmt.Errorf("mixed benchmark %q: bad parts %v", b.Name, b.Scenario.Parts)
		}
		heavy := max(1, p.Concurrency/scenarios.MixedHeavyShare)
		light := max(1, p.Concurrency-heavy)
		parts = []competitors.Benchmark{{Name: ps[0].Name, Scenario: ps[0]}, {Name: ps[1].Name, Scenario: ps[1]}}
		conc = []int{light, heavy}
	}
	for i, pb := range parts {
		op, err := cl.Prepare(ctx, pb)
		if err != nil {
			return fmt.Errorf("prepare %s %q: %w", p.Suite, pb.Name, err)
		}
		w.ops = append(w.ops, op)
		w.parts = append(w.parts, PartReady{Name: pb.Name, ScenarioID: pb.Scenario.ID, Concurrency: conc[i]})
		// A shard per goroutine up to 2 per processor keeps contention low
		// without a histogram per goroutine.
		w.recs = append(w.recs, NewRecorder(min(conc[i], 2*runtime.GOMAXPROCS(0))))
	}
	return nil
}

func (w *worker) start() {
	if w.drivers != nil {
		return
	}
	w.runCtx, w.stopRun = context.WithCancel(context.Background())
	for i, op := range w.ops {
		rate := w.cfg.Rate
		if i > 0 {
			rate = 0 // the heavy part of a Mixed scenario runs closed loop
		}
		w.drivers = append(w.drivers, StartDriver(w.runCtx, op, w.recs[i], DriverConfig{
			Concurrency: w.parts[i].Concurrency, Rate: rate, OpTimeout: w.cfg.OpTimeout,
		}))
	}
}

func (w *worker) mark(last bool) *MarkReply {
	m := &MarkReply{MonoNs: nowNs(), UnixNs: time.Now().UnixNano()}
	if last {
		// The window ends here: what is in flight is the drain's.
		for _, d := range w.drivers {
			d.Halt()
		}
	}
	if debugMarks {
		defer func(t0 int64) {
			fmt.Fprintf(os.Stderr, "mark: handled in %v, read->handle %v\n", time.Duration(nowNs()-t0), time.Duration(t0-w.readNs))
		}(m.MonoNs)
	}
	if c, err := SelfCPU(); err != nil {
		m.CPUError = err.Error()
	} else {
		m.CPU = c
	}
	if w.server != nil {
		c := w.server.Counters()
		m.Counters = &c
	}
	ivs := make([]Interval, len(w.recs))
	for i, r := range w.recs {
		ivs[i] = r.Swap()
	}
	for _, iv := range ivs {
		ps := PartStats{Count: iv.Count, Errors: iv.Errors, SumNs: iv.SumNs, MinNs: iv.MinNs, MaxNs: iv.MaxNs, ErrorLogs: iv.ErrorLogs}
		if ps.MinNs == math.MaxInt64 {
			ps.MinNs = 0
		}
		h, err := EncodeHistogram(iv.Hist)
		if err != nil {
			ps.ErrorLogs = append(ps.ErrorLogs, ErrorSample{Message: "harness: " + err.Error(), Count: 0})
		}
		ps.Histogram = h
		m.Parts = append(m.Parts, ps)
	}
	return m
}

// drain ends the load of every part at once (drivers.Drain) and returns
// each part's figures after the window: the recorders' current interval.
func (w *worker) drain(wait time.Duration) []DrainPart {
	wait = min(max(wait, 0), maxDrainWait)
	out := make([]DrainPart, len(w.drivers))
	var wg sync.WaitGroup
	for i, d := range w.drivers {
		wg.Add(1)
		go func(i int, d *Driver) {
			defer wg.Done()
			ds := d.Drain(wait, stopGrace)
			out[i].Unfinished, out[i].LastOK, out[i].LastFailed = int64(ds.Unfinished), int64(ds.LastOK), int64(ds.LastFailed)
		}(i, d)
	}
	wg.Wait()
	for i, r := range w.recs {
		iv := r.Swap()
		out[i].Completed, out[i].Failed, out[i].ErrorLogs = iv.Count, iv.Errors, iv.ErrorLogs
	}
	return out
}

func (w *worker) stop() *StopReply {
	r := &StopReply{}
	for _, d := range w.drivers {
		r.Abandoned += d.Stop(stopGrace)
	}
	if err := w.closeAdapters(); err != nil {
		r.CloseError = err.Error()
	}
	return r
}

// closeAdapters closes the client or server with a bound on the time.
func (w *worker) closeAdapters() error {
	var closer interface{ Close() error }
	if w.client != nil {
		closer, w.client = w.client, nil
	} else if w.server != nil {
		closer, w.server = w.server, nil
	}
	var err error
	if closer != nil {
		done := make(chan error, 1)
		go func() { done <- closer.Close() }()
		select {
		case err = <-done:
		case <-time.After(closeTimeout):
			err = fmt.Errorf("close did not return within %v", closeTimeout)
		}
	}
	if w.payloads != nil {
		if perr := w.payloads.Close(); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func (w *worker) cleanup() {
	if w.stopRun != nil {
		w.stopRun()
	}
	_ = w.closeAdapters()
}

package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Options configure a run (the CLI's flags).
type Options struct {
	Duration    time.Duration // -t: measured window per benchmark
	Warming     time.Duration // -w: load before the window, not measured
	Servers     int           // -s: server workers (1 for suites without SharedPort)
	Clients     int           // -c: client workers
	Concurrency int           // -cc: operations in flight per client worker
	Connections int           // -cn: connections per client worker
	Port        int           // -p: server port; 0 picks a free one per benchmark
	Remote      string        // -r: remote server host (Controller.Remote has the rest)
	Rate        float64       // --rate: ops/s per client worker; 0 = closed loop
	Verify      bool          // --verify: checksum payloads
	OpTimeout   time.Duration // per-operation deadline (0: 60 s)
	// ServerProcs and ClientProcs set GOMAXPROCS of the workers; 0 picks
	// max(1, NumCPU / workers of that role).
	ServerProcs, ClientProcs int
	Seed                     uint64 // payload seed; 0 picks a random one
	Filters, Excludes        []string

	// ClientGOGC, when positive, is the GOGC of client workers (the CLI's
	// --client-gogc); 0 leaves them the environment's GOGC (the runtime's
	// default is 100). Server workers keep the runtime's default.
	ClientGOGC int

	// ClientGODEBUG, when not empty, is put at the front of client
	// workers' GODEBUG (the CLI's --client-godebug): a GODEBUG of the
	// environment comes after it and so wins setting by setting (the
	// runtime applies the list left to right).
	ClientGODEBUG string

	// ServerDelay is a test-only handicap passed to servers (planted slowdown).
	ServerDelay time.Duration
	// ServerDelaySuite, when set, limits ServerDelay to the suite of that
	// name (case-insensitive), so a slowdown can be planted in one suite
	// while a reference suite of the same run stays untouched (issue 8).
	ServerDelaySuite string

	// Exe is the binary started as worker ("" = this binary); Env is extra
	// environment for workers (tests).
	Exe string
	Env []string
}

// serverDelay is the test-only delay for the servers of suite.
func (o *Options) serverDelay(suite string) time.Duration {
	if o.ServerDelaySuite != "" && !strings.EqualFold(o.ServerDelaySuite, suite) {
		return 0
	}
	return o.ServerDelay
}

// DefaultOpTimeout bounds one operation when Options.OpTimeout is 0.
const DefaultOpTimeout = 60 * time.Second

// Normalize fills derived defaults (GOMAXPROCS per role, seed, op timeout).
func (o *Options) Normalize() {
	cores := runtime.NumCPU()
	if o.ServerProcs <= 0 {
		o.ServerProcs = max(1, cores/max(1, o.Servers))
	}
	if o.ClientProcs <= 0 {
		o.ClientProcs = max(1, cores/max(1, o.Clients))
	}
	if o.Seed == 0 {
		o.Seed = scenarios.NewSeed()
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = DefaultOpTimeout
	}
}

// RunConfig returns the options as recorded in results.
func (o *Options) RunConfig() RunConfig {
	mode := ModeClosedLoop
	if o.Rate > 0 {
		mode = ModeConstantRate
	}
	return RunConfig{
		DurationNs: int64(o.Duration), WarmingNs: int64(o.Warming),
		Servers: o.Servers, Clients: o.Clients, Concurrency: o.Concurrency, Connections: o.Connections,
		Filters: o.Filters, Excludes: o.Excludes, Port: o.Port, Remote: o.Remote,
		Mode: mode, RatePerClient: o.Rate, Verify: o.Verify, OpTimeoutNs: int64(o.OpTimeout), Seed: o.Seed,
		GOMAXPROCS: Gomaxprocs{Controller: runtime.GOMAXPROCS(0), Server: o.ServerProcs, Client: o.ClientProcs},
		Count:      1, HistogramUnit: "ns", HistogramLowest: HistLowestNs, HistogramHighest: HistHighestNs,
		HistogramSigFigs: HistSigFigs, MixedHeavyDivisor: scenarios.MixedHeavyShare,
		ClientGOGC: o.ClientGOGC, ClientGODEBUG: o.ClientGODEBUG,
	}
}

// Controller runs benchmarks with worker processes.
type Controller struct {
	Opt    Options
	Status *Status
	// WorkerLog receives workers' stderr lines (nil discards them).
	WorkerLog io.Writer
	// Remote, when set, is the server on another host (remote mode): no
	// server worker is started; its control channel, if any, stands in for
	// them (remote.go).
	Remote *RemoteTarget

	tlsOnce sync.Once
	tls     *competitors.TLS
	tlsErr  error
}

// suiteTLS returns the run's certificate for TLS suites, nil otherwise.
func (c *Controller) suiteTLS(s competitors.Suite) (*competitors.TLS, error) {
	ts, ok := s.(competitors.TLSSuite)
	if !ok || !ts.UsesTLS() {
		return nil, nil
	}
	c.tlsOnce.Do(func() { c.tls, c.tlsErr = tlsutil.SelfSigned() })
	return c.tls, c.tlsErr
}

// ServerWorkers returns how many server workers a suite gets.
func (c *Controller) ServerWorkers(s competitors.Suite) int {
	if c.Remote != nil {
		if c.Remote.Hello != nil {
			return len(c.Remote.Hello.Workers)
		}
		return 1
	}
	if s.SharedPort() {
		return max(1, c.Opt.Servers)
	}
	return 1
}

func (c *Controller) status(label, msg string) {
	if c.Status != nil {
		c.Status.Set(label, msg)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// benchState is one benchmark's workers and marks.
type benchState struct {
	servers  []endpoint
	clients  []endpoint
	parts    []PartReady
	markA    map[endpoint]*MarkReply
	markB    map[endpoint]*MarkReply
	failures []string
	warnings []string
	died     map[endpoint]bool
	mu       sync.Mutex
	// payloadDir holds the clients' payload files; removed after the run.
	payloadDir string
	// drain sums the clients' drain replies per part (nil when a client
	// did not answer); check is --verify's message count (nil: none).
	drain     []DrainPart
	drainWait time.Duration
	check     *MessageCheck
}

// warn records a problem after the window was measured (a worker slow to
// stop, an adapter's Close error): shown with the row, the figures stand.
func (st *benchState) warn(format string, args ...any) {
	st.mu.Lock()
	st.warnings = append(st.warnings, fmt.Sprintf(format, args...))
	st.mu.Unlock()
}

func (st *benchState) fail(format string, args ...any) {
	st.mu.Lock()
	st.failures = append(st.failures, fmt.Sprintf(format, args...))
	st.mu.Unlock()
}

// all returns every worker.
func (st *benchState) all() []endpoint {
	return append(append([]endpoint{}, st.servers...), st.clients...)
}

// RunBenchmark runs one benchmark as the Node.js benchmark does: start the
// servers, start and prepare the clients, warm, measure, stop every worker.
// It returns one Result per timed part. A worker failure is recorded in the
// results (Failures), never hidden; the error is non-nil only when ctx ended.
func (c *Controller) RunBenchmark(ctx context.Context, suite competitors.Suite, b competitors.Benchmark, run int) ([]Result, error) {
	label := suite.Name() + " " + b.Name
	st := &benchState{died: map[endpoint]bool{}}
	defer func() {
		// Whatever happened, no worker outlives the benchmark.
		var wg sync.WaitGroup
		for _, p := range st.all() {
			wg.Add(1)
			go func(p endpoint) { defer wg.Done(); p.Kill() }(p)
		}
		wg.Wait()
		if st.payloadDir != "" {
			if err := os.RemoveAll(st.payloadDir); err != nil && c.WorkerLog != nil {
				fmt.Fprintf(c.WorkerLog, "remove payload files: %v\n", err)
			}
		}
	}()

	ok := c.startWorkers(ctx, suite, b, label, st)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if ok {
		c.measure(ctx, label, st)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if st.markB != nil {
			c.status(label, "Draining...")
			c.drainClients(ctx, st)
			c.checkMessages(ctx, suite, b, st)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	c.status(label, "Stopping workers...")
	abandoned := c.stopAll(ctx, st)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return c.results(suite, b, run, st, abandoned), nil
}

// startWorkers starts servers and clients; false means the benchmark cannot run.
func (c *Controller) startWorkers(ctx context.Context, suite competitors.Suite, b competitors.Benchmark, label string, st *benchState) bool {
	if c.Remote != nil {
		var tlsMat *competitors.TLS
		if ts, ok := suite.(competitors.TLSSuite); ok && ts.UsesTLS() {
			tlsMat = c.Remote.TLS
			if tlsMat == nil {
				tlsMat = &competitors.TLS{}
			}
		}
		st.servers = c.Remote.endpoints()
		return c.startClients(ctx, suite, b, label, st, c.Remote.Addr(), tlsMat)
	}
	tlsMat, err := c.suiteTLS(suite)
	if err != nil {
		st.fail("%v", err)
		return false
	}
	port := c.Opt.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			st.fail("%v", err)
			return false
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	nServers := c.ServerWorkers(suite)
	sc := spawnConfig{exe: c.Opt.Exe, env: c.Opt.Env, log: c.WorkerLog}

	c.status(label, "Starting server workers...")
	sc.gomaxprocs = c.Opt.ServerProcs
	st.servers = c.spawnMany(ctx, sc, RoleServer, nServers, st)
	if len(st.servers) != nServers {
		return false
	}
	c.status(label, "Preparing server workers...")
	var wg sync.WaitGroup
	var firstAddr string
	var addrMu sync.Mutex
	for _, p := range st.servers {
		wg.Add(1)
		go func(p endpoint) {
			defer wg.Done()
			r, err := p.Call(ctx, request{Op: opServe, Server: &ServerParams{
				Suite: suite.Name(), Addr: addr, ReusePort: nServers > 1, TLS: tlsMat,
				Seed: c.Opt.Seed, Verify: c.Opt.Verify, Delay: c.Opt.serverDelay(suite.Name()),
			}}, serveTimeout)
			if err != nil {
				st.fail("%v", err)
				return
			}
			addrMu.Lock()
			if firstAddr == "" {
				firstAddr = r.Addr
			}
			addrMu.Unlock()
		}(p)
	}
	wg.Wait()
	if len(st.failures) > 0 {
		return false
	}
	if firstAddr != "" {
		addr = firstAddr
	}
	return c.startClients(ctx, suite, b, label, st, addr, tlsMat)
}

// startClients starts and prepares the client workers against addr.
func (c *Controller) startClients(ctx context.Context, suite competitors.Suite, b competitors.Benchmark, label string, st *benchState, addr string, tlsMat *competitors.TLS) bool {
	sc := spawnConfig{exe: c.Opt.Exe, env: c.Opt.Env, log: c.WorkerLog}
	// Payload files live in a directory the controller removes after the
	// benchmark (RunBenchmark's cleanup), whatever happens to the workers.
	payloadDir, err := os.MkdirTemp("", "sockety-bench-run-")
	if err != nil {
		st.fail("payload directory: %v", err)
		return false
	}
	st.payloadDir = payloadDir

	c.status(label, "Starting client workers...")
	sc.gomaxprocs = c.Opt.ClientProcs
	sc.gogc = c.Opt.ClientGOGC
	sc.godebug = c.Opt.ClientGODEBUG
	st.clients = c.spawnMany(ctx, sc, RoleClient, c.Opt.Clients, st)
	if len(st.clients) != c.Opt.Clients {
		return false
	}
	c.status(label, "Preparing client workers...")
	// One by one, so that connections spread evenly over server workers.
	for _, p := range st.clients {
		r, err := p.Call(ctx, request{Op: opPrepare, Client: &ClientParams{
			Suite: suite.Name(), Benchmark: b.Name, Addr: addr, TLS: tlsMat,
			Connections: c.Opt.Connections, Concurrency: c.Opt.Concurrency, Seed: c.Opt.Seed,
			Verify: c.Opt.Verify, Rate: c.Opt.Rate, OpTimeout: c.Opt.OpTimeout, PayloadDir: payloadDir,
		}}, serveTimeout)
		if err != nil {
			st.fail("%v", err)
			return false
		}
		st.parts = r.Parts
	}
	return true
}

func (c *Controller) spawnMany(ctx context.Context, sc spawnConfig, role string, n int, st *benchState) []endpoint {
	out := make([]*proc, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := spawn(ctx, sc, role, i)
			if err != nil {
				st.fail("%v", err)
				return
			}
			out[i] = p
		}(i)
	}
	wg.Wait()
	var ok []endpoint
	for _, p := range out {
		if p != nil {
			ok = append(ok, p)
		}
	}
	return ok
}

// measure warms, marks the window's edges and watches for dying workers.
func (c *Controller) measure(ctx context.Context, label string, st *benchState) {
	// All clients start together, as the Node.js benchmark does.
	var wg sync.WaitGroup
	var startFailed atomic.Bool
	for _, p := range st.clients {
		wg.Add(1)
		go func(p endpoint) {
			defer wg.Done()
			if _, err := p.Call(ctx, request{Op: opStart}, markTimeout); err != nil {
				st.fail("%v", err)
				startFailed.Store(true)
			}
		}(p)
	}
	wg.Wait()
	if startFailed.Load() {
		return
	}
	deaths := make(chan endpoint, len(st.all()))
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	for _, p := range st.all() {
		go func(p endpoint) {
			select {
			case <-p.Done():
				deaths <- p
			case <-watchCtx.Done():
			}
		}(p)
	}
	wait := func(d time.Duration, tick func(elapsed time.Duration)) {
		start := time.Now()
		end := time.NewTimer(d)
		defer end.Stop()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-end.C:
				return
			case p := <-deaths:
				st.mu.Lock()
				st.died[p] = true
				st.mu.Unlock()
				st.fail("%s died during the run: %v", p.Name(), p.ExitError())
			case <-t.C:
				if tick != nil {
					tick(time.Since(start))
				}
			}
		}
	}
	if c.Opt.Warming > 0 {
		c.status(label, "Warming...")
		wait(c.Opt.Warming, nil)
	}
	st.markA = c.markAll(ctx, st, false)
	if c.Status.Live() {
		running := func(el time.Duration) {
			c.status(label, fmt.Sprintf("Running %.1fs/%s", el.Seconds(), shortDuration(c.Opt.Duration)))
		}
		running(0)
		wait(c.Opt.Duration, running)
	} else {
		c.status(label, fmt.Sprintf("Running for %s...", shortDuration(c.Opt.Duration)))
		wait(c.Opt.Duration, nil)
	}
	st.markB = c.markAll(ctx, st, true)
}

// markAll sends mark to every live worker at once; last marks the window's
// end (clients start no operation after it).
func (c *Controller) markAll(ctx context.Context, st *benchState, last bool) map[endpoint]*MarkReply {
	out := map[endpoint]*MarkReply{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range st.all() {
		if p.Exited() {
			continue
		}
		wg.Add(1)
		go func(p endpoint) {
			defer wg.Done()
			t0 := time.Now()
			r, err := p.Call(ctx, request{Op: opMark, Last: last}, markTimeout)
			if debugMarks {
				fmt.Fprintf(os.Stderr, "controller: mark %s took %v\n", p.Name(), time.Since(t0))
			}
			if err != nil || r.Mark == nil {
				if err == nil {
					err = errors.New("empty mark reply")
				}
				if _, remote := p.(*controlEndpoint); remote {
					// The remote server's figures are lost, not the
					// clients': server CPU and delivered show n/a.
					st.warn("%v (server CPU and delivered: n/a)", err)
					return
				}
				st.fail("%v", err)
				return
			}
			mu.Lock()
			out[p] = r.Mark
			mu.Unlock()
		}(p)
	}
	wg.Wait()
	return out
}

// Bounds of the end of a benchmark (variables so that tests can shorten
// them).
var (
	// drainMax bounds how long operations in flight at the window's end
	// may take to end by themselves: min(--op-timeout, drainMax).
	drainMax = 10 * time.Second
	// checkQuiet and checkMax bound --verify's wait for messages in
	// flight: it ends when every sent message has arrived, when the
	// servers' count has not moved for checkQuiet, or after checkMax.
	checkQuiet = 5 * time.Second
	checkMax   = 30 * time.Second
	checkPoll  = 50 * time.Millisecond
)

// drainClients ends the clients' load after the window (opDrain): every
// operation in flight gets a bounded time to end by itself. st.drain sums
// what became of them per part.
func (c *Controller) drainClients(ctx context.Context, st *benchState) {
	wait := c.Opt.OpTimeout
	if wait <= 0 {
		wait = DefaultOpTimeout
	}
	wait = min(wait, drainMax)
	replies := make([][]DrainPart, len(st.clients))
	var wg sync.WaitGroup
	for i, p := range st.clients {
		if p.Exited() {
			continue
		}
		wg.Add(1)
		go func(i int, p endpoint) {
			defer wg.Done()
			r, err := p.Call(ctx, request{Op: opDrain, Wait: wait}, wait+stopGrace+stopTimeout)
			if err != nil {
				st.mu.Lock()
				died := st.died[p]
				st.mu.Unlock()
				if !died && !errors.Is(err, errWorkerGone) {
					st.warn("drain %s: %v", p.Name(), err)
				}
				return
			}
			replies[i] = r.Drain
		}(i, p)
	}
	wg.Wait()
	sum := make([]DrainPart, len(st.parts))
	for _, r := range replies {
		if len(r) != len(st.parts) {
			return // a client did not report: no drain figures
		}
		for j, d := range r {
			sum[j].Completed += d.Completed
			sum[j].Failed += d.Failed
			sum[j].Unfinished += d.Unfinished
			sum[j].LastOK += d.LastOK
			sum[j].LastFailed += d.LastFailed
			sum[j].ErrorLogs = MergeErrorSamples(sum[j].ErrorLogs, d.ErrorLogs)
		}
	}
	st.drain, st.drainWait = sum, wait
}

// checkMessages is --verify's count of whole messages (MessageCheck): after
// the drain, it waits (bounded) for the servers to receive every message the
// clients sent; what never arrives is missing. Only local runs of one-way
// scenarios whose server counts them, with every worker's figures.
func (c *Controller) checkMessages(ctx context.Context, suite competitors.Suite, b competitors.Benchmark, st *benchState) {
	sc := b.Scenario
	st.mu.Lock()
	died := len(st.died) > 0
	st.mu.Unlock()
	switch {
	case !c.Opt.Verify, c.Remote != nil, st.drain == nil, len(st.parts) != 1, died:
		return
	case sc.Kind != scenarios.OneWay && sc.Kind != scenarios.Data && sc.Kind != scenarios.File:
		return
	}
	if dc, ok := suite.(competitors.DeliveryCounter); ok && !dc.CountsDelivery(sc) {
		return
	}
	sent := uint64(st.drain[0].Completed)
	for _, p := range st.clients {
		a, b := st.markA[p], st.markB[p]
		if a == nil || b == nil || len(a.Parts) != 1 || len(b.Parts) != 1 {
			return
		}
		sent += uint64(a.Parts[0].Count + b.Parts[0].Count)
	}
	received := func(marks func(endpoint) (*MarkReply, error)) (uint64, bool) {
		var n uint64
		for _, p := range st.servers {
			m, err := marks(p)
			if err != nil || m == nil || m.Counters == nil {
				return 0, false
			}
			n += m.Counters.Messages
		}
		return n, true
	}
	atEnd, ok := received(func(p endpoint) (*MarkReply, error) { return st.markB[p], nil })
	if !ok {
		return
	}
	now := func(p endpoint) (*MarkReply, error) {
		r, err := p.Call(ctx, request{Op: opMark}, markTimeout)
		return r.Mark, err
	}
	got, ok := received(now)
	start, moved := time.Now(), time.Now()
	for ok && got < sent && time.Since(moved) < checkQuiet && time.Since(start) < checkMax {
		select {
		case <-ctx.Done():
			return
		case <-time.After(checkPoll):
		}
		var n uint64
		if n, ok = received(now); ok && n != got {
			got, moved = n, time.Now()
		}
	}
	if !ok {
		st.warn("--verify could not read the servers' counters after the window: messages not checked")
		return
	}
	ch := &MessageCheck{Sent: sent, Received: got}
	if got > atEnd {
		ch.ArrivedAfterWindow = got - atEnd
	}
	if sent > got {
		ch.Missing = sent - got
	}
	st.check = ch
}

// stopAll stops every worker at once; it returns the abandoned operations.
func (c *Controller) stopAll(ctx context.Context, st *benchState) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	abandoned := 0
	for _, p := range st.all() {
		wg.Add(1)
		go func(p endpoint) {
			defer wg.Done()
			sr, err := p.Stop(ctx)
			st.mu.Lock()
			died := st.died[p]
			st.mu.Unlock()
			if err != nil && !died && !errors.Is(err, errWorkerGone) {
				st.warn("stop %s: %v", p.Name(), err)
			}
			if sr != nil {
				mu.Lock()
				abandoned += sr.Abandoned
				mu.Unlock()
				if sr.CloseError != "" {
					st.warn("%s: close: %s", p.Name(), sr.CloseError)
				}
			}
		}(p)
	}
	wg.Wait()
	return abandoned
}

// edge is a worker's marks at the window's start (a) and end (b).
type edge struct{ a, b *MarkReply }

// results turns the marks into one Result per part.
func (c *Controller) results(suite competitors.Suite, b competitors.Benchmark, run int, st *benchState, abandoned int) []Result {
	parts := st.parts
	if len(parts) == 0 {
		// The benchmark never ran: one row carrying the failures.
		if b.Scenario.Kind == scenarios.Mixed {
			for _, ps := range b.Scenario.PartScenarios() {
				parts = append(parts, PartReady{Name: ps.Name, ScenarioID: ps.ID})
			}
		} else {
			parts = []PartReady{{Name: b.Name, ScenarioID: b.Scenario.ID, Concurrency: c.Opt.Concurrency}}
		}
	}
	mixed := b.Scenario.Kind == scenarios.Mixed

	// Workers' windows and CPU.
	edges := func(ps []endpoint) (map[endpoint]edge, bool) {
		m := map[endpoint]edge{}
		complete := len(ps) > 0
		for _, p := range ps {
			a, b := st.markA[p], st.markB[p]
			if a == nil || b == nil {
				complete = false
				continue
			}
			m[p] = edge{a, b}
		}
		return m, complete
	}
	cEdges, cComplete := edges(st.clients)
	sEdges, sComplete := edges(st.servers)

	var clientCPU, serverCPU CPUTimes
	var clientWin, serverWin int64
	cpuKnown := func(e edge) bool { return e.a.CPUError == "" && e.b.CPUError == "" }
	var workers []WorkerFigures
	clientCPUOK, serverCPUOK := cComplete, sComplete
	var startUnix int64
	for i, p := range st.clients {
		e, ok := cEdges[p]
		if !ok {
			continue
		}
		if startUnix == 0 || e.a.UnixNs < startUnix {
			startUnix = e.a.UnixNs
		}
		w := e.b.MonoNs - e.a.MonoNs
		clientWin += w
		cpu := e.b.CPU.Sub(e.a.CPU)
		clientCPU = clientCPU.Add(cpu)
		clientCPUOK = clientCPUOK && cpuKnown(e)
		wf := WorkerFigures{Role: RoleClient, Index: i, PID: p.PID(), GOMAXPROCS: p.Procs(), WindowNs: w, CPU: cpu, CPUKnown: cpuKnown(e)}
		for _, ps := range e.b.Parts {
			wf.Count += ps.Count
			wf.Errors += ps.Errors
		}
		workers = append(workers, wf)
	}
	var delivered competitors.ServerCounters
	for i, p := range st.servers {
		e, ok := sEdges[p]
		if !ok {
			continue
		}
		w := e.b.MonoNs - e.a.MonoNs
		serverWin += w
		cpu := e.b.CPU.Sub(e.a.CPU)
		serverCPU = serverCPU.Add(cpu)
		serverCPUOK = serverCPUOK && cpuKnown(e)
		wf := WorkerFigures{Role: RoleServer, Index: i, PID: p.PID(), GOMAXPROCS: p.Procs(), WindowNs: w, CPU: cpu, CPUKnown: cpuKnown(e)}
		if e.a.Counters != nil && e.b.Counters != nil {
			wf.Messages = e.b.Counters.Messages - e.a.Counters.Messages
			wf.Bytes = e.b.Counters.Bytes - e.a.Counters.Bytes
			delivered.Messages += wf.Messages
			delivered.Bytes += wf.Bytes
			delivered.VerifyErrors += e.b.Counters.VerifyErrors - e.a.Counters.VerifyErrors
		}
		workers = append(workers, wf)
	}
	nc, ns := len(cEdges), len(sEdges)
	var meanClientWin, meanServerWin int64
	if nc > 0 {
		meanClientWin = clientWin / int64(nc)
	}
	if ns > 0 {
		meanServerWin = serverWin / int64(ns)
	}

	var drainFailures []string
	for j := range st.drain {
		name := ""
		if mixed && j < len(parts) {
			name = parts[j].Name
		}
		drainFailures = append(drainFailures, drainFailure(st.drain[j], st.drainWait, name)...)
	}
	out := make([]Result, 0, len(parts))
	for j, part := range parts {
		sc, _ := scenarios.ByID(part.ScenarioID)
		r := Result{
			Suite: suite.Name(), Benchmark: b.Name, ScenarioID: part.ScenarioID, Kind: sc.Kind.String(),
			OneWay: sc.OneWay(), Run: run, ServerWorkers: len(st.servers), ClientWorkers: len(st.clients),
			Concurrency: part.Concurrency, WindowStartUnixNs: startUnix, WindowNs: meanClientWin,
			Failures: append([]string(nil), st.failures...), Warnings: append([]string(nil), st.warnings...),
			Abandoned: abandoned, Workers: workers,
		}
		if mixed {
			r.Part = part.Name
			r.ScenarioID = part.ScenarioID
		}
		if len(st.servers) == 0 {
			r.ServerWorkers = c.ServerWorkers(suite)
		}
		if len(st.clients) == 0 {
			r.ClientWorkers = c.Opt.Clients
		}
		merged := NewHistogram()
		var sum int64
		var attempted float64 // operations per second, successful or not
		minNs, maxNs := int64(-1), int64(0)
		for _, p := range st.clients {
			e, ok := cEdges[p]
			if !ok || j >= len(e.b.Parts) {
				continue
			}
			ps := e.b.Parts[j]
			w := e.b.MonoNs - e.a.MonoNs
			r.Count += ps.Count
			r.Errors += ps.Errors
			if w > 0 {
				r.QPS += float64(ps.Count) / (float64(w) / 1e9)
				attempted += float64(ps.Count+ps.Errors) / (float64(w) / 1e9)
			}
			sum += ps.SumNs
			if ps.Count > 0 {
				if minNs < 0 || ps.MinNs < minNs {
					minNs = ps.MinNs
				}
				maxNs = max(maxNs, ps.MaxNs)
			}
			if ps.Histogram != "" {
				h, err := DecodeHistogram(ps.Histogram)
				if err != nil {
					r.Failures = append(r.Failures, fmt.Sprintf("%s: %v", p.Name(), err))
				} else {
					merged.Merge(h)
				}
			}
			r.ErrorSamples = MergeErrorSamples(r.ErrorSamples, ps.ErrorLogs)
		}
		if r.Count+r.Errors > 0 {
			r.SuccessRatio = float64(r.Count) / float64(r.Count+r.Errors)
		}
		if r.Count > 0 {
			r.Latency = latencyOf(merged, minNs, sum/r.Count, maxNs)
		}
		if enc, err := EncodeHistogram(merged); err == nil {
			r.Histogram = enc
		}
		if clientCPUOK && meanClientWin > 0 {
			s := ShareOf(clientCPU, meanClientWin, nc)
			r.CPU.Client = &s
			if total := r.Count + r.Errors + otherCount(cEdges, j); total > 0 {
				r.CPU.ClientNsPerOp = float64(clientCPU.UserNs+clientCPU.SystemNs) / float64(total)
			}
		}
		if serverCPUOK && meanServerWin > 0 {
			s := ShareOf(serverCPU, meanServerWin, ns)
			r.CPU.Server = &s
		}
		counted := true
		if dc, ok := suite.(competitors.DeliveryCounter); ok {
			counted = dc.CountsDelivery(sc)
		}
		if sc.OneWay() && !mixed && counted && sComplete && meanServerWin > 0 {
			secs := float64(meanServerWin) / 1e9
			r.Delivered = &Delivered{
				Messages: delivered.Messages, Bytes: delivered.Bytes, VerifyErrors: delivered.VerifyErrors,
				PerSecond: float64(delivered.Messages) / secs, BytesPerSecond: float64(delivered.Bytes) / secs,
			}
		}
		if delivered.VerifyErrors > 0 && (j == 0 || !mixed) {
			r.Failures = append(r.Failures, fmt.Sprintf("servers found %d payloads that failed verification", delivered.VerifyErrors))
		}
		if ch := st.check; ch != nil && r.Delivered != nil {
			cp := *ch
			r.Delivered.Check = &cp
			r.Delivered.VerifyErrors += ch.Missing
			if ch.Missing > 0 {
				r.Failures = append(r.Failures, fmt.Sprintf("%d of the %d messages the clients sent never reached the servers (verify: missing; %d arrived after the window's end)",
					ch.Missing, ch.Sent, ch.ArrivedAfterWindow))
			}
		}
		if st.drain != nil && j < len(st.drain) {
			d := st.drain[j]
			r.Drain = &Drain{WaitNs: int64(st.drainWait), Completed: d.Completed, Failed: d.Failed, Unfinished: d.Unfinished,
				LastOK: d.LastOK, LastFailed: d.LastFailed}
		}
		r.Failures = append(r.Failures, drainFailures...)
		if c.Opt.Rate > 0 && j == 0 && meanClientWin > 0 {
			target := c.Opt.Rate * float64(r.ClientWorkers)
			r.Rate = &RateInfo{Target: target, Achieved: attempted, ShortfallPct: 100 * (target - attempted) / target}
		}
		out = append(out, r)
	}
	return out
}

// drainFailure returns a failure when the end of a part's load shows the
// target was lost: operations in flight at the window's end were still
// running after the drain's wait, or every client goroutine's last
// operation failed (the one in flight at the end, else the one before). In
// a healthy run they all end, and nearly all succeed. part names the part
// of a Mixed benchmark.
func drainFailure(d DrainPart, wait time.Duration, part string) []string {
	prefix := ""
	if part != "" {
		prefix = part + ": "
	}
	switch {
	case d.Unfinished > 0:
		return []string{fmt.Sprintf("%s%d operations were still running %s after the window's end (cancelled): the server or the network stopped answering",
			prefix, d.Unfinished, shortDuration(wait))}
	case d.LastOK == 0 && d.LastFailed > 0:
		first := ""
		if len(d.ErrorLogs) > 0 {
			first = " (" + d.ErrorLogs[0].Message + ")"
		}
		return []string{fmt.Sprintf("%sthe last operation of every client goroutine failed at the window's end (%d)%s: the server or the network was lost",
			prefix, d.LastFailed, first)}
	}
	return nil
}

// otherCount returns the operations (successful or failed) of the other
// parts: CPU per op is per operation of any part.
func otherCount(edges map[endpoint]edge, j int) int64 {
	var n int64
	for _, e := range edges {
		for k, ps := range e.b.Parts {
			if k != j {
				n += ps.Count + ps.Errors
			}
		}
	}
	return n
}

// latencyOf builds latency figures: exact min/mean/max, histogram percentiles.
// Percentiles are clamped into [min, max]: a histogram bucket's upper edge can
// lie past the exact maximum.
func latencyOf(h *hdrhistogram.Histogram, minNs, meanNs, maxNs int64) Latency {
	q := func(p float64) int64 { return min(max(h.ValueAtQuantile(p), minNs), maxNs) }
	return Latency{
		MinNs: minNs, MeanNs: meanNs, MaxNs: maxNs,
		P50Ns: q(50), P90Ns: q(90), P99Ns: q(99), P999Ns: q(99.9),
	}
}

// shortDuration formats a duration as "3s" or "500ms".
func shortDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	if d < time.Second {
		return fmt.Sprintf("%dms", d/time.Millisecond)
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

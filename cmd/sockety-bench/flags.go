package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sockety-harness/sockety-harness/harness"
)

// config is the parsed command line.
type config struct {
	Duration    time.Duration
	Servers     int
	Clients     int
	Concurrency int
	Connections int
	Warming     time.Duration
	Filters     []string
	Excludes    []string
	Remote      string
	Port        int
	ServerOnly  bool
	Help        bool

	JSON        string
	List        bool
	NoColor     bool
	Rate        float64
	Verify      bool
	ServerProcs int
	ClientProcs int
	ClientGOGC  int
	// ClientGODEBUG is --client-godebug.
	ClientGODEBUG string
	OpTimeout     time.Duration
	Seed          uint64
	Count         int

	// Remote mode (issue 6, cmd_remote.go).
	ControlPort int    // --control-port: 0 = PORT+1
	NoControl   bool   // --no-control: server-only without control channel
	Token       string // --token
	Cert, Key   string // --cert/--key: server-only TLS files
	CA          string // --ca: remote client's roots
	Insecure    bool   // --insecure: remote client skips verification
	// remote is set by run() from the flags above (not a flag).
	remote *harness.RemoteTarget

	// Test-only: a planted server slowdown (issue 8's gate tests).
	TestServerDelay      time.Duration
	TestServerDelaySuite string
}

// Limits that keep a typo from asking for unbounded resources.
const (
	maxWorkers     = 256
	maxConcurrency = 1_000_000
	maxConnections = 100_000
	maxCount       = 1000
	maxGOGC        = 1_000_000
)

// DefaultClientGOGC is --client-gogc's default: the GOGC of client
// workers. A client worker's live heap is small (histograms, buffers, a
// few MiB), so with the runtime's default of 100 it collects tens of times
// a second under load, each time scanning the stacks of every operation's
// goroutine (250 per worker by default). 400 collects about 5 times less
// often for a few MiB more per worker; it cut the HTTP/2 client's CPU per
// request by 12-15% against one pinned server
// (results/harness-vs-wrk-h2load.md). Every suite's client workers get
// it; server workers keep the runtime's default.
const DefaultClientGOGC = 400

// DefaultClientGODEBUG is --client-godebug's default, GODEBUG settings put
// before the environment's in client workers. schedtrace with a period of
// 24.8 days prints nothing in a run, but it keeps the runtime's sysmon
// thread from its deep sleep: without it, sysmon sleeps whenever every P
// of the worker is idle (a client waiting for the network, many times a
// request) and the next system call wakes it with a futex - 19% of an
// HTTP/1 client worker's CPU samples (perf). It cut client CPU per request
// 14-45% for HTTP/1, HTTP/2, Sockety and raw TCP alike
// (results/harness-vs-wrk-h2load.md, session 5). Server workers keep the
// environment's GODEBUG.
const DefaultClientGODEBUG = "schedtrace=2147483647"

// errHelp is returned when -h/--help was given.
var errHelp = errors.New("help requested")

// usageError is a bad command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// durationValue parses "5s", "500ms", "1m" and, like the Node.js benchmark,
// a bare number as milliseconds.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(n) || math.IsInf(n, 0) || n > float64(math.MaxInt64/int64(time.Millisecond)) {
			return fmt.Errorf("invalid duration %q", s)
		}
		*v.d = time.Duration(n * float64(time.Millisecond))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (use 5s, 500ms, or milliseconds)", s)
	}
	*v.d = d
	return nil
}

// listValue collects a repeatable flag.
type listValue struct{ l *[]string }

func (v listValue) String() string {
	if v.l == nil {
		return ""
	}
	return strings.Join(*v.l, ",")
}

func (v listValue) Set(s string) error { *v.l = append(*v.l, s); return nil }

// parseArgs parses the command line. It returns errHelp for -h/--help and a
// *usageError for anything invalid.
func parseArgs(args []string) (config, error) {
	c := config{Duration: 5 * time.Second, Servers: 1, Concurrency: 250, Connections: 2}
	fs := flag.NewFlagSet("sockety-bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	dur := func(p *time.Duration, names ...string) {
		for _, n := range names {
			fs.Var(durationValue{p}, n, "")
		}
	}
	ints := func(p *int, def int, names ...string) {
		for _, n := range names {
			fs.IntVar(p, n, def, "")
		}
	}
	bools := func(p *bool, names ...string) {
		for _, n := range names {
			fs.BoolVar(p, n, false, "")
		}
	}
	dur(&c.Duration, "t", "time")
	ints(&c.Servers, 1, "s", "servers")
	ints(&c.Clients, 0, "c", "clients")
	ints(&c.Concurrency, 250, "cc", "concurrency")
	ints(&c.Connections, 2, "cn", "connections")
	dur(&c.Warming, "w", "warming")
	for _, n := range []string{"f", "filter"} {
		fs.Var(listValue{&c.Filters}, n, "")
	}
	for _, n := range []string{"e", "exclude"} {
		fs.Var(listValue{&c.Excludes}, n, "")
	}
	for _, n := range []string{"r", "remote"} {
		fs.StringVar(&c.Remote, n, "", "")
	}
	ints(&c.Port, 0, "p", "port")
	bools(&c.ServerOnly, "server-only")
	bools(&c.Help, "h", "help")
	fs.StringVar(&c.JSON, "json", "", "")
	bools(&c.List, "list")
	bools(&c.NoColor, "no-color")
	fs.Float64Var(&c.Rate, "rate", 0, "")
	bools(&c.Verify, "verify")
	ints(&c.ServerProcs, 0, "server-procs")
	ints(&c.ClientProcs, 0, "client-procs")
	ints(&c.ClientGOGC, DefaultClientGOGC, "client-gogc")
	fs.StringVar(&c.ClientGODEBUG, "client-godebug", DefaultClientGODEBUG, "")
	dur(&c.OpTimeout, "op-timeout")
	fs.Uint64Var(&c.Seed, "seed", 0, "")
	ints(&c.Count, 0, "count") // 0: not given, one run
	ints(&c.ControlPort, 0, "control-port")
	bools(&c.NoControl, "no-control")
	fs.StringVar(&c.Token, "token", "", "")
	fs.StringVar(&c.Cert, "cert", "", "")
	fs.StringVar(&c.Key, "key", "", "")
	fs.StringVar(&c.CA, "ca", "", "")
	bools(&c.Insecure, "insecure")
	dur(&c.TestServerDelay, "test-server-delay")
	fs.StringVar(&c.TestServerDelaySuite, "test-server-delay-suite", "", "")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, usagef("%v", err)
	}
	if c.Help {
		return c, errHelp
	}
	if fs.NArg() > 0 {
		return c, usagef("unexpected argument %q (quote a multi-word filter: -f \"sockety heartbeat\")", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	switch {
	case c.Duration <= 0:
		return c, usagef("invalid --time %v: must be above 0", c.Duration)
	case c.Warming < 0:
		return c, usagef("invalid --warming %v: must not be negative", c.Warming)
	case c.Servers < 1 || c.Servers > maxWorkers:
		return c, usagef("invalid --servers %d: must be 1..%d", c.Servers, maxWorkers)
	case c.Concurrency < 1 || c.Concurrency > maxConcurrency:
		return c, usagef("invalid --concurrency %d: must be 1..%d", c.Concurrency, maxConcurrency)
	case c.Connections < 1 || c.Connections > maxConnections:
		return c, usagef("invalid --connections %d: must be 1..%d", c.Connections, maxConnections)
	case (set["p"] || set["port"]) && (c.Port < 1 || c.Port > 65535):
		return c, usagef("invalid --port %d: must be 1..65535", c.Port)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return c, usagef("invalid --rate %v: must be a number of operations per second, 0 for closed loop", c.Rate)
	case c.ServerProcs < 0 || c.ClientProcs < 0:
		return c, usagef("invalid --server-procs/--client-procs: must not be negative")
	case c.ClientGOGC < 0 || c.ClientGOGC > maxGOGC:
		return c, usagef("invalid --client-gogc %d: must be 1..%d, or 0 for the environment's GOGC", c.ClientGOGC, maxGOGC)
	case !validGODEBUG(c.ClientGODEBUG):
		return c, usagef("invalid --client-godebug %q: must be name=value settings separated by commas, or empty", c.ClientGODEBUG)
	case c.Count < 0 || c.Count > maxCount || (set["count"] && c.Count < 1):
		return c, usagef("invalid --count %d: must be 1..%d", c.Count, maxCount)
	case c.TestServerDelay < 0:
		return c, usagef("invalid --test-server-delay %v: must not be negative", c.TestServerDelay)
	case c.OpTimeout < 0:
		return c, usagef("invalid --op-timeout %v: must not be negative", c.OpTimeout)
	case (set["json"]) && strings.TrimSpace(c.JSON) == "":
		return c, usagef("invalid --json: empty file name")
	case (set["r"] || set["remote"]) && strings.TrimSpace(c.Remote) == "":
		return c, usagef("invalid --remote: empty host")
	}
	if set["c"] || set["clients"] {
		if c.Clients < 1 || c.Clients > maxWorkers {
			return c, usagef("invalid --clients %d: must be 1..%d", c.Clients, maxWorkers)
		}
	} else {
		c.Clients = min(c.Servers*2, maxWorkers)
	}
	for _, f := range append(append([]string{}, c.Filters...), c.Excludes...) {
		if strings.TrimSpace(f) == "" {
			return c, usagef("invalid --filter/--exclude: empty rule")
		}
	}
	if c.Remote != "" && c.Port == 0 {
		return c, usagef("You need to set port statically (-p), for calling remote host.")
	}
	if err := checkRemoteFlags(c, set); err != nil {
		return c, err
	}
	return c, nil
}

const usageText = `Usage: sockety-bench [flags]

Benchmarks Sockety and other protocols with worker processes, as the Node.js
Sockety benchmark does, and prints one table per suite.

Flags (the Node.js benchmark's, same meaning and defaults):
  -t,  --time DURATION       measured duration of each benchmark (default 5s;
                             "500ms", "2s", or a number of milliseconds)
  -s,  --servers N           server workers (default 1; suites that cannot share
                             a port across processes run one)
  -c,  --clients N           client workers (default servers × 2)
  -cc, --concurrency N       operations in flight per client worker (default 250)
  -cn, --connections N       connections per client worker (default 2)
  -w,  --warming DURATION    load before each measured window (default 0)
  -f,  --filter RULE         run only benchmarks matching a rule; repeatable. A rule
                             is words that must all appear, case-insensitively, in
                             "<suite> <benchmark>": -f "sockety heartbeat"
  -e,  --exclude RULE        skip benchmarks matching a rule; repeatable
  -r,  --remote HOST         benchmark a server on another host (needs -p; the
                             filters must match one suite)
  -p,  --port PORT           server port (default: a free port per benchmark)
       --server-only         only start the server workers of one suite (needs -p)
  -h,  --help                show this help

Extra flags:
       --json FILE           write full results (schema: results/README.md)
       --list                list suites and benchmarks after filtering; no run
       --no-color            no colours (colours are only used on a terminal)
       --rate N              constant-rate mode: N operations per second per client
                             worker, latency measured from each intended send time
                             (coordinated omission corrected); 0 = closed loop
       --verify              servers checksum every payload they receive
       --server-procs N      GOMAXPROCS of server workers (default NumCPU/servers)
       --client-procs N      GOMAXPROCS of client workers (default NumCPU/clients)
       --client-gogc N       GOGC of client workers (default 400; 0 = the
                             environment's GOGC, the Go runtime's default 100)
       --client-godebug S    GODEBUG settings of client workers, before the
                             environment's (default schedtrace=2147483647: keeps
                             the runtime's sysmon awake; "" = none)
       --op-timeout DURATION per-operation deadline (default 60s)
       --seed N              payload seed (default random)
       --count N             run every selected benchmark N times, in rounds
                             (all suites per round, so drift hits all alike);
                             every run is kept in --json (default 1)

Remote mode (README.md, "Remote mode"):
       --control-port PORT   control channel of --server-only (default PORT+1);
                             the client reads server CPU and counters there
       --token TOKEN         control channel token (server-only: default random,
                             printed; client: without it, server CPU shows n/a)
       --no-control          server-only: no control channel
       --cert FILE --key FILE server-only TLS certificate and key (PEM; default a
                             generated self-signed one, written to a printed file)
       --ca FILE             remote client: trust this certificate (PEM)
       --insecure            remote client: do not verify the server's certificate
  sockety-bench merge A.json B.json...  merge results of several client hosts

Subcommands (results/README.md, section "Regression gates"):
  sockety-bench compare [flags] OLD.json NEW.json   statistics and CI gate
  sockety-bench report [-o FILE] RESULTS.json...    self-contained HTML report
  sockety-bench convert RESULTS.json...             Go benchmark format (benchstat)
  Run "sockety-bench compare -h" for their flags.

Test-only flags (plant a slowdown to test regression gates; never for real figures):
       --test-server-delay DURATION   servers wait this long before each message
       --test-server-delay-suite NAME only that suite's servers wait

Exit status: 0 success, 1 a worker failed or nothing matched, 2 usage error,
130 interrupted.
`

// validGODEBUG reports whether s is empty or name=value settings separated
// by commas, without spaces (what the runtime's GODEBUG parser takes).
func validGODEBUG(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > 1024 || strings.ContainsAny(s, " \t\n\x00") {
		return false
	}
	for _, kv := range strings.Split(s, ",") {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			return false
		}
	}
	return true
}

// Command sockety-bench benchmarks Sockety and other protocols with worker
// processes and prints the Node.js Sockety benchmark's tables, with more
// precise figures. See README.md and results/README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/term"

	"github.com/sockety-harness/sockety-harness/competitors"
	_ "github.com/sockety-harness/sockety-harness/competitors/all"
	"github.com/sockety-harness/sockety-harness/harness"
)

func main() {
	harness.MaybeRunWorker()
	tty := term.IsTerminal(int(os.Stdout.Fd()))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, tty))
}

// subcommands planned by later issues.
var plannedSubcommands = map[string]string{}

// subcommands that are implemented (cmd_compare.go, cmd_report.go, cmd_convert.go, cmd_merge.go).
var subcommands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"compare": runCompare, "report": runReport, "convert": runConvert, "merge": runMerge,
}

// run is the whole command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer, tty bool) int {
	if len(args) > 0 {
		if issue, ok := plannedSubcommands[args[0]]; ok {
			fmt.Fprintf(stderr, "sockety-bench %s: not implemented yet (%s)\n", args[0], issue)
			return 2
		}
		if sub, ok := subcommands[args[0]]; ok {
			return sub(args[1:], stdout, stderr)
		}
	}
	cfg, err := parseArgs(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usageText)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockety-bench: %v\nRun 'sockety-bench --help' for usage.\n", err)
		return 2
	}
	if cfg.ServerOnly && !cfg.List {
		return serverOnly(cfg, stdout, stderr) // cmd_remote.go
	}
	sel := harness.Select(competitors.All(), cfg.Filters, cfg.Excludes)
	if cfg.List {
		return list(stdout, stderr, sel)
	}
	if len(sel) == 0 && cfg.Remote == "" { // --remote: exit 2 in prepareRemote
		fmt.Fprintln(stderr, "No matching suites found.")
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Remote != "" {
		var code int
		if sel, code = prepareRemote(ctx, &cfg, stdout, stderr); code != 0 { // cmd_remote.go
			return code
		}
	}
	return bench(ctx, cfg, sel, stdout, stderr, tty)
}

func list(stdout, stderr io.Writer, sel []harness.Selection) int {
	if len(sel) == 0 {
		fmt.Fprintln(stderr, "No matching suites found.")
		return 1
	}
	for _, s := range sel {
		port := "servers share a port"
		if !s.Suite.SharedPort() {
			port = "one server worker"
		}
		fmt.Fprintf(stdout, "%s (%s)\n", s.Suite.Name(), port)
		for _, b := range s.Benchmarks {
			fmt.Fprintf(stdout, "  %-36s %s\n", b.Name, b.Scenario.ID)
		}
	}
	return 0
}

func bench(ctx context.Context, cfg config, sel []harness.Selection, stdout, stderr io.Writer, tty bool) int {
	color := tty && !cfg.NoColor && os.Getenv("NO_COLOR") == ""
	opt := harness.Options{
		Duration: cfg.Duration, Warming: cfg.Warming, Servers: cfg.Servers, Clients: cfg.Clients,
		Concurrency: cfg.Concurrency, Connections: cfg.Connections, Port: cfg.Port, Rate: cfg.Rate,
		Verify: cfg.Verify, OpTimeout: cfg.OpTimeout, ServerProcs: cfg.ServerProcs, ClientProcs: cfg.ClientProcs,
		Seed: cfg.Seed, Filters: cfg.Filters, Excludes: cfg.Excludes,
		ServerDelay: cfg.TestServerDelay, ServerDelaySuite: cfg.TestServerDelaySuite,
		ClientGOGC: cfg.ClientGOGC, ClientGODEBUG: cfg.ClientGODEBUG,
	}
	opt.Normalize()
	if cfg.remote != nil {
		opt.Remote = cfg.Remote
		if h := cfg.remote.Hello; h != nil {
			opt.Seed, opt.Servers = h.Seed, len(h.Workers)
		}
	}
	harness.WriteHeader(stdout, harness.HeaderInfo{Opt: opt, GoVersion: runtime.Version(), LogicalCores: runtime.NumCPU(), Color: color})
	if cfg.remote != nil {
		remoteHeader(stdout, cfg.remote)
	}

	var status *harness.Status
	if tty {
		status = harness.NewStatus(stdout, true, color)
		if f, ok := stdout.(*os.File); ok {
			if w, _, err := term.GetSize(int(f.Fd())); err == nil {
				status.Width = w
			}
		}
	} else {
		status = harness.NewStatus(stderr, false, false)
	}
	ctl := &harness.Controller{Opt: opt, Status: status, WorkerLog: status, Remote: cfg.remote}
	runner := &harness.Runner{Ctl: ctl, Count: cfg.Count, OnSuite: func(s harness.Selection, results []harness.Result) {
		if cfg.Count > 1 {
			fmt.Fprintf(stdout, "\n %s: run %d of %d (--count)\n", s.Suite.Name(), results[0].Run+1, cfg.Count)
		}
		harness.WriteSuiteTable(stdout, s.Suite.Name(), results, harness.TableOptions{
			Color: color, Servers: ctl.ServerWorkers(s.Suite), Rate: opt.Rate > 0,
		})
		if opt.Servers > 1 && !s.Suite.SharedPort() {
			fmt.Fprintf(stdout, "  (%s ran one server worker: its servers cannot share a port)\n", s.Suite.Name())
		}
	}}
	if !tty {
		// Plain progress: one line per finished row, for logs.
		runner.OnBenchmark = func(results []harness.Result) {
			for _, r := range results {
				fmt.Fprintf(stderr, "%s %s: done, %.0f QPS, %d errors\n", r.Suite, harness.RowName(r), r.QPS, r.Errors)
			}
		}
	}
	report, err := runner.Run(ctx, sel)
	interrupted := err != nil
	if cfg.Count > 1 && len(report.Results) > 0 {
		writeMedians(stdout, report)
	}
	failed := report.Failed()
	if interrupted {
		fmt.Fprintln(stderr, "Interrupted; every worker has been stopped.")
	}
	if cfg.JSON != "" {
		if err := report.WriteJSONFile(cfg.JSON); err != nil {
			fmt.Fprintf(stderr, "sockety-bench: %v\n", err)
			failed = true
		}
	}
	switch {
	case interrupted:
		return 130
	case failed:
		return 1
	}
	return 0
}

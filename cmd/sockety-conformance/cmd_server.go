package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/report"
	"github.com/sockety-harness/sockety-harness/conformance/servercases"
)

func init() {
	register(&command{
		name:    "server",
		summary: "check a live server implementing the conformance contract (--target HOST:PORT)",
		run:     runServer,
	})
}

func runServer(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf suiteFlags
	sf.register(fs)
	target := fs.String("target", "", "HOST:PORT of the server under test")
	useTLS := fs.Bool("tls", false, "connect over TLS")
	insecure := fs.Bool("insecure", false, "with --tls: do not verify the server certificate")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sockety-conformance server --target HOST:PORT [--tls [--insecure]] [--list] [--case ID] [--group G] [--strict]")
		fmt.Fprintln(stderr, "                                [--known-failures FILE] [--json FILE] [--junit FILE] [--timeout D] [--total D]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the server cases against a server implementing the contract in conformance/README.md.")
		fmt.Fprintln(stderr, "Exit status: 0 all pass, 1 failures, 2 usage or connection errors.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	tg := servercases.Target{Addr: *target, TLS: *useTLS, Insecure: *insecure}
	all := servercases.Cases(tg)
	if sf.list {
		listCases(stdout, all)
		return 0
	}
	if *target == "" {
		fmt.Fprintln(stderr, "sockety-conformance server: --target is required")
		return 2
	}
	cs, known, code := sf.prepare(all, stderr)
	if code != 0 {
		return code
	}
	if err := servercases.Preflight(context.Background(), tg); err != nil {
		fmt.Fprintf(stderr, "sockety-conformance server: %v\n", err)
		return 2
	}
	meta := report.Meta{Suite: "server", Target: *target, Start: time.Now().UTC()}
	return sf.runSuite(context.Background(), cs, known, meta, stdout, stderr)
}

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/report"
	"github.com/sockety-harness/sockety-harness/conformance/servercases"
)

// serverUsage is what --help prints before the flags.
const serverUsage = `usage: sockety-conformance server --target HOST:PORT [--tls [--insecure]] [--list] [--case ID] [--group G] [--strict]
                                [--known-failures FILE] [--json FILE] [--junit FILE] [--timeout D] [--total D]

Runs the server cases against a server implementing the contract in conformance/README.md.
Exit status: 0 all pass, 1 failures, 2 usage or connection errors.

`

func runServer(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("server", stderr, serverUsage)
	var sf suiteFlags
	sf.register(fs)
	target := fs.String("target", "", "HOST:PORT of the server under test")
	useTLS := fs.Bool("tls", false, "connect over TLS")
	insecure := fs.Bool("insecure", false, "with --tls: do not verify the server certificate")
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

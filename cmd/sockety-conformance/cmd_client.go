package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/clientcases"
	"github.com/sockety-harness/sockety-harness/conformance/report"
)

// clientUsage is what --help prints before the flags.
const clientUsage = `usage: sockety-conformance client [--listen ADDR] [--accept-timeout D] [--self] [--list] [--case ID] [--group G]
                                [--strict] [--known-failures FILE] [--json FILE] [--junit FILE]

Waits for one connection from a client running the script in conformance/README.md and
checks it. Exit status: 0 all pass, 1 failures, 2 usage errors or no client connected.

`

func runClient(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("client", stderr, clientUsage)
	var sf suiteFlags
	sf.register(fs)
	listen := fs.String("listen", "127.0.0.1:7001", "address to wait for the client on")
	accept := fs.Duration("accept-timeout", 60*time.Second, "how long to wait for the client to connect")
	self := fs.Bool("self", false, "run our reference client (sockety package) against the listener, for a self-check")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if sf.list {
		listCases(stdout, clientcases.Cases(clientcases.NewSession(nil, 0)))
		return 0
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "sockety-conformance client: %v\n", err)
		return 2
	}
	defer ln.Close()
	ss := clientcases.NewSession(ln, *accept)
	cs, known, code := sf.prepare(clientcases.Cases(ss), stderr)
	if code != 0 {
		return code
	}
	fmt.Fprintf(stderr, "waiting for the client under test on %s\n", ln.Addr())
	selfErr := make(chan error, 1)
	if *self {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), *accept+time.Minute)
			defer cancel()
			selfErr <- clientcases.RunReference(ctx, ln.Addr().String(), nil)
		}()
	}
	if err := ss.Run(); err != nil {
		fmt.Fprintf(stderr, "sockety-conformance client: %v\n", err)
		return 2
	}
	meta := report.Meta{Suite: "client", Target: ln.Addr().String(), Start: time.Now().UTC()}
	status := sf.runSuite(context.Background(), cs, known, meta, stdout, stderr)
	if *self {
		if err := <-selfErr; err != nil {
			fmt.Fprintf(stderr, "reference client: %v\n", err)
			if status == 0 {
				status = 1
			}
		}
	}
	return status
}

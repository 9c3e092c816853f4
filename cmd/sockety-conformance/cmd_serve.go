package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run our reference contract server (--listen ADDR) for other implementations' clients or for `server`",
		run:     runServe,
	})
}

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:7000", "address to listen on")
	channels := fs.Int("channels", 4096, "channels to announce (1-4096)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sockety-conformance serve [--listen ADDR] [--channels N]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Serves the conformance contract (ping, fast, echo, code; anything else: fast reply 2)")
		fmt.Fprintln(stderr, "with the sockety package until interrupted.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *channels < 1 || *channels > 4096 {
		fmt.Fprintln(stderr, "sockety-conformance serve: --channels must be 1-4096")
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "sockety-conformance serve: %v\n", err)
		return 2
	}
	srv := &sockety.Server{Handler: contract.NewContractHandler(), Options: &sockety.Options{Channels: *channels}}
	fmt.Fprintf(stdout, "serving the conformance contract on %s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, sockety.ErrServerClosed) {
			fmt.Fprintf(stderr, "sockety-conformance serve: %v\n", err)
			return 2
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return 0
}

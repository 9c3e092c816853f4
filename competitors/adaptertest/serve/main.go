// Command serve starts one suite's server on its own, so that external load
// generators (wrk, h2load) can drive the very server code the harness runs.
// It prints the listening address, serves until stdin closes or SIGINT or
// SIGTERM arrives, then prints the server's counters.
//
//	go run ./competitors/adaptertest/serve -suite HTTP/1 -addr 127.0.0.1:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	_ "github.com/sockety-harness/sockety-harness/competitors/all"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func main() {
	suiteName := flag.String("suite", "HTTP/1", "suite whose server to start")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	verify := flag.Bool("verify", false, "check every received payload")
	stdin := flag.Bool("stdin", false, "also stop when stdin closes")
	flag.Parse()
	if err := run(*suiteName, *addr, *verify, *stdin); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func run(name, addr string, verify, stdin bool) error {
	s, ok := competitors.Lookup(name)
	if !ok {
		return fmt.Errorf("no suite %q", name)
	}
	p := scenarios.New(scenarios.NewSeed())
	defer p.Close()
	var t *competitors.TLS
	if adaptertest.UsesTLS(s) {
		m, err := tlsutil.SelfSigned()
		if err != nil {
			return err
		}
		t = m
	}
	srv, err := s.NewServer(context.Background(), competitors.ServerConfig{Addr: addr, TLS: t, Payloads: p, Verify: verify})
	if err != nil {
		return err
	}
	fmt.Println(srv.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	if stdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- os.Interrupt
		}()
	}
	<-stop
	c := srv.Counters()
	fmt.Printf("messages %d bytes %d verify-errors %d\n", c.Messages, c.Bytes, c.VerifyErrors)
	return srv.Close()
}

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

// serveUsage is what --help prints before the flags.
const serveUsage = `usage: sockety-conformance serve [--listen ADDR] [--channels N] [--tls [--cert FILE --key FILE]]

Serves the conformance contract (ping, fast, echo, code; anything else: fast reply 2)
with the sockety package until interrupted.

`

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr, serveUsage)
	listen := fs.String("listen", "127.0.0.1:7000", "address to listen on")
	channels := fs.Int("channels", 4096, "channels to announce (1-4096)")
	useTLS := fs.Bool("tls", false, "serve TLS with a throw-away self-signed certificate (or --cert/--key)")
	certFile := fs.String("cert", "", "with --tls: PEM certificate chain file")
	keyFile := fs.String("key", "", "with --tls: PEM private key file")
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
	var tlsCfg *tls.Config
	if *useTLS {
		material := &competitors.TLS{}
		if *certFile != "" || *keyFile != "" {
			if material.CertPEM, err = os.ReadFile(*certFile); err == nil {
				material.KeyPEM, err = os.ReadFile(*keyFile)
			}
		} else {
			material, err = tlsutil.SelfSigned()
		}
		if err == nil {
			tlsCfg, err = tlsutil.Server(material)
		}
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "sockety-conformance serve: %v\n", err)
			return 2
		}
	}
	fmt.Fprintf(stdout, "serving the conformance contract on %s (tls: %v)\n", ln.Addr(), tlsCfg != nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	done := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			done <- srv.ServeTLS(ln, tlsCfg)
			return
		}
		done <- srv.Serve(ln)
	}()
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

package http1

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
)

type server struct {
	srv      *http.Server
	ln       net.Listener
	counters Counters
	served   chan error
}

func newServer(ctx context.Context, cfg competitors.ServerConfig, useTLS bool) (*server, error) {
	ln, err := competitors.Listen(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("http1: %w", err)
	}
	s := &server{ln: ln, served: make(chan error, 1)}
	s.srv = &http.Server{
		Handler: Handler(&s.counters, cfg.Payloads, cfg.Verify, cfg.Delay),
		// An empty TLSNextProto keeps the server on HTTP/1.1 even over TLS.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		// Users of a keep-alive benchmark server bound header reads, not bodies.
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	if useTLS {
		tcfg, err := tlsutil.Server(cfg.TLS, "http/1.1")
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("http1: %w", err)
		}
		s.ln = tls.NewListener(ln, tcfg)
	}
	go func() { s.served <- s.srv.Serve(s.ln) }()
	return s, nil
}

func (s *server) Addr() string                         { return s.ln.Addr().String() }
func (s *server) Counters() competitors.ServerCounters { return s.counters.Snapshot() }

// Close closes the listener and every connection, then waits (bounded) for
// the handlers still running to notice.
func (s *server) Close() error {
	err := s.srv.Close()
	serr := <-s.served
	s.counters.WaitIdle(5 * time.Second)
	if err != nil {
		return fmt.Errorf("http1: close: %w", err)
	}
	if serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("http1: serve: %w", serr)
	}
	return nil
}

package http2

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/http2"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/http1"
	"github.com/sockety-harness/sockety-harness/competitors/internal/serve"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
)

// Server tuning, as users of a high-throughput HTTP/2 server raise it (the
// Node.js benchmark raises Node's limits the same way).
const (
	// maxFrame lets the client send 1 MiB DATA frames (default 16 KiB):
	// fewer frames and syscalls per megabyte uploaded.
	maxFrame = 1 << 20
	// connWindow and streamWindow are the receive flow-control windows
	// (default 1 MiB each): big enough that several 4 MiB uploads per
	// connection are not held back by WINDOW_UPDATE round trips.
	connWindow   = 64 << 20
	streamWindow = 4 << 20
)

// maxStreams raises SETTINGS_MAX_CONCURRENT_STREAMS from Go's 250 to the
// Node.js benchmark's peerMaxConcurrentStreams (5000), so that -cc operations
// in flight over -cn connections are not throttled by it. A variable only so
// that a test can make the limit easy to reach.
var maxStreams uint32 = 5000

type server struct {
	ln       net.Listener
	h2       *http2.Server
	handler  http.Handler
	tls      *tls.Config
	counters http1.Counters
	conns    *serve.Conns
}

func newServer(ctx context.Context, cfg competitors.ServerConfig, useTLS bool) (*server, error) {
	s := &server{}
	if useTLS {
		tcfg, err := tlsutil.Server(cfg.TLS, http2.NextProtoTLS)
		if err != nil {
			return nil, fmt.Errorf("http2: %w", err)
		}
		s.tls = tcfg
	}
	ln, err := competitors.Listen(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("http2: %w", err)
	}
	s.ln = ln
	s.handler = http1.Handler(&s.counters, cfg.Payloads, cfg.Verify, cfg.Delay)
	s.h2 = &http2.Server{
		MaxConcurrentStreams:         maxStreams,
		MaxReadFrameSize:             maxFrame,
		MaxUploadBufferPerConnection: connWindow,
		MaxUploadBufferPerStream:     streamWindow,
	}
	s.conns = serve.Start(ln, s.serve)
	return s, nil
}

func (s *server) Addr() string                         { return s.ln.Addr().String() }
func (s *server) Counters() competitors.ServerCounters { return s.counters.Snapshot() }

// serve runs one connection: h2c with prior knowledge (the client starts
// with the HTTP/2 preface), or TLS with ALPN "h2". serve.Conns closes c
// when serve returns.
func (s *server) serve(c net.Conn) {
	conn := c
	if s.tls != nil {
		tc := tls.Server(c, s.tls)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil || tc.ConnectionState().NegotiatedProtocol != http2.NextProtoTLS {
			return
		}
		conn = tc
	}
	conn = newPingConn(conn, s.counters.Pings())
	s.h2.ServeConn(conn, &http2.ServeConnOpts{Handler: s.handler, BaseConfig: &http.Server{}})
}

// Close closes the listener and every connection and waits for the
// connection goroutines, then (bounded) for handlers still running.
func (s *server) Close() error {
	err := s.conns.Close()
	s.counters.WaitIdle(5 * time.Second)
	if err != nil {
		return fmt.Errorf("http2: close: %w", err)
	}
	return nil
}

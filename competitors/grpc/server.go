package grpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
)

// Flow-control windows, raised from gRPC's 64 KiB starting windows (grown by
// its BDP estimator) to fixed large ones, as users moving megabytes set them:
// several 4 MiB uploads per connection are not held back by WINDOW_UPDATE
// round trips. The same values as the HTTP/2 suites.
const (
	streamWindow = 4 << 20
	connWindow   = 64 << 20
)

// chunkSize is how the client splits data and files into messages: gRPC has
// no unbounded message (4 MiB receive limit by default), so users stream
// files in chunks of tens of KiB. The size matters more than it seems:
// gRPC-Go takes each marshalled message's buffer from a pool of 256 B, 4, 16,
// 32 KiB and 1 MiB buffers and zeroes the whole buffer on reuse, so a 64 KiB
// message lands in (and clears) a 1 MiB buffer: measured 3x slower than
// 32 KiB messages. 32 KiB minus 8 leaves room for the BytesValue field
// header (1-byte tag, 3-byte length), so each message fills one 32 KiB buffer.
const chunkSize = 32<<10 - 8

type server struct {
	srv    *grpc.Server
	addr   string
	h      *handler
	served chan error
}

func newServer(ctx context.Context, cfg competitors.ServerConfig, useTLS bool) (*server, error) {
	opts := []grpc.ServerOption{
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
		// gRPC-Go's default stream limit is unbounded; keep it explicit and
		// as high as the HTTP/2 suites' (the seed's Node.js limit).
		grpc.MaxConcurrentStreams(5000),
	}
	if useTLS {
		tcfg, err := tlsutil.Server(cfg.TLS)
		if err != nil {
			return nil, fmt.Errorf("grpc: %w", err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tcfg)))
	}
	ln, err := competitors.Listen(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("grpc: %w", err)
	}
	s := &server{
		srv:    grpc.NewServer(opts...),
		addr:   ln.Addr().String(),
		h:      &handler{payloads: cfg.Payloads, verify: cfg.Verify, delay: cfg.Delay},
		served: make(chan error, 1),
	}
	s.srv.RegisterService(&serviceDesc, s.h)
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

func (s *server) Addr() string                         { return s.addr }
func (s *server) Counters() competitors.ServerCounters { return s.h.counters() }

// Close stops the server at once (open streams are cancelled) and waits for
// its goroutines, handlers included.
func (s *server) Close() error {
	s.srv.Stop()
	if err := <-s.served; err != nil && err != grpc.ErrServerStopped {
		return fmt.Errorf("grpc: serve: %w", err)
	}
	return nil
}
